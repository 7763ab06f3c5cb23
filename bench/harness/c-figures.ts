// The C daemons' figures the cases compare with (the C daemons are not available to the bench).
// Intake: C v2.3.5 telemprobd and telemd side by side on a 2-core machine, the same C sender,
// 2 x 5000 records, one connection each, tmpfs spool (issue 14): C 11.6k rec/s.

export const C_INTAKE_RPS = 11_600;
/** Issue 14's target: 1.5x C telemprobd, about 17k rec/s. */
export const INTAKE_TARGET_RPS = 1.5 * C_INTAKE_RPS;
