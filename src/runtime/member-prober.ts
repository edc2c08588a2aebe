import type { DatabaseKind } from '../api/desired.js';
import type { Endpoint } from './runtime.js';

/**
 * What a runtime asks of a database server it started: does it serve clients yet, and which
 * settings does it run with. main.ts builds it on the database clients of src/db/, so that no
 * runtime speaks a database protocol itself.
 */
export interface MemberProber {
  /**
   * True when the server at `endpoint` serves clients now: Redis takes the password and
   * answers PING (not LOADING), Postgres offers a login (not "starting up"; the password is
   * not needed for that). False, never a throw, when it does not answer within a short time.
   */
  ready(kind: DatabaseKind, endpoint: Endpoint, password: string): Promise<boolean>;
  /**
   * Every setting a running Redis reports (`CONFIG GET *`), keyed by lower-case name. Throws
   * a DbopsError when the server cannot be reached or refuses the password.
   */
  redisSettings(endpoint: Endpoint, password: string): Promise<Record<string, string>>;
}
