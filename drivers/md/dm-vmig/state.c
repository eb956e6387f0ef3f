// SPDX-License-Identifier: GPL-2.0
/*
 * The filter's state machine: which event takes a filter from which state
 * to which (see "Filter states" in include/uapi/linux/dm-vmig.h).
 */
#include "pkg.h"

#include <kunit/visibility.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>

#define R VMIG_DISK_ST_RUNNING
#define H VMIG_DISK_ST_HANDOFF
#define F VMIG_DISK_ST_FENCED
#define G VMIG_DISK_ST_GONE
#define I VMIG_DISK_ST_INCOMING
#define BUSY (-EBUSY)
#define INVAL (-EINVAL)

/*
 * Next state by state and event, or a negative errno. EBUSY means "not
 * now, something runs or waits"; EINVAL "never in this state".
 */
static const s8 vmig_disk_fsm[VMIG_DISK_NR_STATES][VMIG_DISK_NR_EVENTS] = {
	/*		HANDOFF	FENCE	ABORT	RELEASE	COMPLETE INCOMING IMPORT */
	[R] = {		H,	INVAL,	INVAL,	INVAL,	INVAL,	I,	INVAL },
	[H] = {		BUSY,	F,	R,	BUSY,	BUSY,	BUSY,	INVAL },
	[F] = {		BUSY,	INVAL,	INVAL,	R,	G,	BUSY,	INVAL },
	[G] = {		INVAL,	INVAL,	INVAL,	INVAL,	INVAL,	I,	INVAL },
	[I] = {		INVAL,	INVAL,	INVAL,	R,	INVAL,	INVAL,	R },
};

#undef R
#undef H
#undef F
#undef G
#undef I
#undef BUSY
#undef INVAL

/**
 * vmig_disk_next_state() - the state a filter goes to on an event
 * @state: the current state, VMIG_DISK_ST_RUNNING...
 * @ev: the event
 *
 * Return: the next state, or -EBUSY when the event must wait for what
 * runs now, or -EINVAL when it makes no sense in @state.
 */
int vmig_disk_next_state(u32 state, enum vmig_disk_event ev)
{
	if (state >= VMIG_DISK_NR_STATES || ev >= VMIG_DISK_NR_EVENTS)
		return -EINVAL;
	return vmig_disk_fsm[state][ev];
}
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_next_state);

/**
 * vmig_disk_state_name() - a state's name, as dmsetup status shows it
 * @state: VMIG_DISK_ST_RUNNING...
 *
 * Return: a static string.
 */
const char *vmig_disk_state_name(u32 state)
{
	static const char * const names[] = {
		[VMIG_DISK_ST_RUNNING] = "running",
		[VMIG_DISK_ST_HANDOFF] = "handoff",
		[VMIG_DISK_ST_FENCED] = "fenced",
		[VMIG_DISK_ST_GONE] = "gone",
		[VMIG_DISK_ST_INCOMING] = "incoming",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "invalid";
}
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_state_name);
