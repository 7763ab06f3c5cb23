// The spool test fixtures live beside the spool (packages/telemd/src/spool/spool.fixtures.ts), so
// unit tests never import test/helpers (one direction: test/ -> packages/). End-to-end tests and
// fixtures keep importing them from here.
export * from '../../packages/telemd/src/spool/spool.fixtures.ts';
