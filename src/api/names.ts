/** Names of dbops objects: databases, OpsRequests and autoscalers are DNS-1123 labels. */

/** The longest DNS-1123 label. */
export const dnsLabelMaxLength = 63;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * True for a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a
 * letter or digit, at most 63 characters. Pure.
 */
export function isDnsLabel(name: string): boolean {
  return name.length <= dnsLabelMaxLength && dns1123Label.test(name);
}
