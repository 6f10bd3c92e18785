/** The daemon tests' raw protocol connection: the testkit's, so tests and campaigns speak the wire through one client. */
export { RawClient } from '../../scripts/testkit/raw-client.js';
