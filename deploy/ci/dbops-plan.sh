#!/usr/bin/env bash
# Posts the `dbops plan` of a pull request (GitHub) or merge request (GitLab) as one comment,
# and on later pushes edits that same comment in place. For any CI system; needs bash, git,
# curl and jq.
#
# It runs `dbops plan --base <merge base of BASE and HEAD> --head HEAD --format markdown` in a
# clone of the desired-state repository, then looks through the comments of the request (every
# page) for the one whose first line is the marker, and edits it; only when there is none does
# it create one, with the marker as its first (hidden) line.
#
# Required environment:
#   DBOPS_PLAN_FORGE    github | gitlab
#   DBOPS_PLAN_API_URL  the API base URL: https://api.github.com (GitHub Enterprise:
#                       https://HOST/api/v3); GitLab: $CI_API_V4_URL (https://HOST/api/v4)
#   DBOPS_PLAN_TOKEN    a token that may comment. GitHub: $GITHUB_TOKEN with
#                       `pull-requests: write`; GitLab: a project or personal access token with
#                       the `api` scope (CI_JOB_TOKEN cannot write notes). Sent only in a request
#                       header read from a private temp file: never printed, never on a command
#                       line, and removed from the environment before dbops runs.
#   DBOPS_PLAN_PROJECT  GitHub: owner/repo ($GITHUB_REPOSITORY); GitLab: the project ID
#                       ($CI_PROJECT_ID) or its path (group/project)
#   DBOPS_PLAN_NUMBER   the pull request number; GitLab: the merge request IID
#   DBOPS_PLAN_BASE     the target branch's revision (GitHub: pull_request.base.sha; GitLab:
#                       $CI_MERGE_REQUEST_DIFF_BASE_SHA)
#   DBOPS_PLAN_HEAD     the change's revision (GitHub: pull_request.head.sha; GitLab:
#                       $CI_COMMIT_SHA)
# Optional environment:
#   DBOPS               the dbops command, split on spaces (default: npx --no-install dbops)
#   DBOPS_PLAN_REPO     the clone (default: .). It needs both revisions and their history:
#                       actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0
#   DBOPS_PLAN_PATH     passed to dbops plan as --path (the manifests' folder in the repository)
#   DBOPS_PLAN_MARKER   the hidden first line that finds the comment again (default:
#                       <!-- dbops-plan -->); give each plan its own when one request gets several
#
# Exit status is dbops plan's: 0 the plan is allowed; 1 a policy denies part of it (the comment
# is posted first, then the job fails); 2 bad input: the comment says the plan could not be made,
# with the error. This script also exits 2 when its own environment is incomplete (it names the
# variable; nothing is posted) and 3 when the API refuses or cannot be reached.
set -euo pipefail
# A failure inside $(...) stops the script too (a page that cannot be read must not look empty).
shopt -s inherit_errexit
umask 077

say() { echo "dbops-plan: $*" >&2; }
usage_error() {
  say "$*"
  exit 2
}

for tool in jq curl git; do
  command -v "$tool" >/dev/null 2>&1 ||
    usage_error "$tool is required but not installed (Debian/Ubuntu: apt-get install -y $tool; Alpine: apk add $tool)"
done

missing=()
for var in DBOPS_PLAN_FORGE DBOPS_PLAN_API_URL DBOPS_PLAN_TOKEN DBOPS_PLAN_PROJECT \
  DBOPS_PLAN_NUMBER DBOPS_PLAN_BASE DBOPS_PLAN_HEAD; do
  [[ -n "${!var:-}" ]] || missing+=("$var")
done
if ((${#missing[@]} > 0)); then
  usage_error "${missing[*]} not set (the variables are described at the top of $0)"
fi

# The token stays in this shell only: dbops (and anything it starts) never sees it.
token=$DBOPS_PLAN_TOKEN
unset DBOPS_PLAN_TOKEN
[[ "$token" != *[$'\r\n']* ]] || usage_error "DBOPS_PLAN_TOKEN contains a line break"

forge=$DBOPS_PLAN_FORGE
api=${DBOPS_PLAN_API_URL%/}
project=$DBOPS_PLAN_PROJECT
number=$DBOPS_PLAN_NUMBER
repo=${DBOPS_PLAN_REPO:-.}
marker=${DBOPS_PLAN_MARKER:-<!-- dbops-plan -->}
read -r -a dbops <<<"${DBOPS:-npx --no-install dbops}"
((${#dbops[@]} > 0)) || usage_error "DBOPS is empty; leave it unset for npx --no-install dbops"
[[ "$number" =~ ^[0-9]+$ ]] || usage_error "DBOPS_PLAN_NUMBER '$number' is not a number"
[[ "$marker" != *$'\n'* ]] || usage_error "DBOPS_PLAN_MARKER must be one line"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

case "$forge" in
  github)
    [[ "$project" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] ||
      usage_error "DBOPS_PLAN_PROJECT '$project' is not owner/repo"
    printf 'Authorization: Bearer %s\n' "$token" >"$work/auth"
    accept='application/vnd.github+json'
    comments="$api/repos/$project/issues/$number/comments"
    comment_url() { echo "$api/repos/$project/issues/comments/$1"; }
    edit=PATCH
    limit=65000 # GitHub refuses a comment over 65536 characters
    ;;
  gitlab)
    printf 'PRIVATE-TOKEN: %s\n' "$token" >"$work/auth"
    accept='application/json'
    project_id="$(jq -rn --arg p "$project" '$p | @uri')"
    comments="$api/projects/$project_id/merge_requests/$number/notes"
    comment_url() { echo "$comments/$1"; }
    edit=PUT
    limit=900000 # GitLab's limit is 1,000,000
    ;;
  *) usage_error "DBOPS_PLAN_FORGE '$forge' is neither github nor gitlab" ;;
esac
unset token

# request METHOD URL [JSON-FILE]: the response body lands in $work/body, its headers in
# $work/headers. Exits 3 with the API's message unless the status is 2xx.
request() {
  local method=$1 url=$2 data=${3:-} status message
  local args=(--silent --show-error --connect-timeout 10 --max-time 60 -X "$method"
    -H @"$work/auth" -H "Accept: $accept" -D "$work/headers" -o "$work/body" -w '%{http_code}')
  [[ "$forge" == github ]] && args+=(-H 'X-GitHub-Api-Version: 2022-11-28')
  # A POST is not repeated: a retry after a lost answer could create a second comment.
  [[ "$method" != POST ]] && args+=(--retry 2)
  [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data-binary @"$data")
  if ! status="$(curl "${args[@]}" "$url")"; then
    say "$method $url: no answer from the API"
    exit 3
  fi
  [[ "$status" == 2?? ]] && return 0
  message="$(jq -r '(.message // .error // empty) | tostring' "$work/body" 2>/dev/null | head -c 500 || true)"
  say "$method $url: HTTP $status${message:+: $message}"
  if [[ "$status" == 401 || "$status" == 403 ]]; then
    say "the token may not comment here (GitHub: permissions pull-requests: write, and no pull request from a fork; GitLab: a token with the api scope)"
  fi
  exit 3
}

# The rel="next" URL of the last response's Link header, or nothing on the last page.
next_page() {
  local next
  next="$(tr -d '\r' <"$work/headers" | grep -i '^link:' | tail -1 | cut -d: -f2- | tr ',' '\n' |
    sed -n 's/^ *<\([^>]*\)>;.*rel="next".*$/\1/p' | head -1 || true)"
  # The token goes to the API and nowhere else, whatever a Link header says.
  if [[ -n "$next" && "$next" != "$api/"* ]]; then
    say "the next page $next is outside $api; not following it"
    exit 3
  fi
  echo "$next"
}

# The id of the first comment whose first line is the marker, looking through every page.
find_comment() {
  local url="$comments?per_page=100" pages=0 id
  while [[ -n "$url" ]] && ((pages < 200)); do
    request GET "$url"
    id="$(jq -r --arg m "$marker" '
      [.[] | select(.system != true)
           | select((.body | type) == "string" and ((.body | split("\n"))[0] | rtrimstr("\r")) == $m)
           | .id][0] // empty' "$work/body")"
    if [[ -n "$id" ]]; then
      echo "$id"
      return 0
    fi
    url="$(next_page)"
    pages=$((pages + 1))
  done
}

: >"$work/plan.md"
: >"$work/plan.err"
rc=0
head_sha="$(git -C "$repo" rev-parse --verify --quiet "$DBOPS_PLAN_HEAD^{commit}" 2>/dev/null)" || rc=2
if ((rc == 0)) && ! base_sha="$(git -C "$repo" merge-base "$DBOPS_PLAN_BASE" "$head_sha" 2>"$work/plan.err")"; then
  rc=2
fi
if ((rc != 0)); then
  echo "the clone at $repo lacks $DBOPS_PLAN_BASE, $DBOPS_PLAN_HEAD or their merge base: check them out with their history (actions/checkout fetch-depth: 0; GitLab GIT_DEPTH: 0)" >>"$work/plan.err"
else
  args=(plan --repo "$repo" --base "$base_sha" --head "$head_sha" --format markdown)
  [[ -n "${DBOPS_PLAN_PATH:-}" ]] && args+=(--path "$DBOPS_PLAN_PATH")
  say "${dbops[*]} ${args[*]}"
  "${dbops[@]}" "${args[@]}" >"$work/plan.md" 2>"$work/plan.err" || rc=$?
  # The job log gets the whole plan and dbops's messages, whatever the comment can hold.
  cat "$work/plan.md"
fi
cat "$work/plan.err" >&2

# The comment, built by jq from the files (no quoting by hand, no argument-size limit).
jq -n --arg marker "$marker" --rawfile plan "$work/plan.md" --rawfile err "$work/plan.err" \
  --argjson rc "$rc" --argjson limit "$limit" \
  --arg head "${head_sha:-$DBOPS_PLAN_HEAD}" --arg base "${base_sha:-}" '
  def clip: if length > $limit
    then .[:$limit] + "\n\n*(cut here: the plan is longer than a comment can hold; the job log has all of it)*"
    else . end;
  if $rc == 0 or $rc == 1 then
    { body: ($marker + "\n" + ($plan | rtrimstr("\n") | clip) + "\n\n<sub>dbops plan of `"
        + $head[:12] + "` against the merge base `" + $base[:12]
        + "`. This comment is updated on every push.</sub>\n") }
  else
    { body: ($marker + "\n**The dbops plan could not be made** for `" + $head[:12]
        + "` (exit " + ($rc | tostring) + "):\n\n<pre>" + ($err | rtrimstr("\n") | clip | @html)
        + "</pre>\n\nFix the change and push again; this comment will show the plan.\n") }
  end' >"$work/comment.json"

id="$(find_comment)"
if [[ -n "$id" ]]; then
  request "$edit" "$(comment_url "$id")" "$work/comment.json"
  say "updated comment $id"
else
  request POST "$comments" "$work/comment.json"
  say "created comment $(jq -r '.id' "$work/body")"
fi

case "$rc" in
  0) say "the plan is allowed" ;;
  1) say "a policy denies part of the plan (see the comment)" ;;
  *) say "the plan could not be made (exit $rc)" ;;
esac
exit "$rc"
