// SPDX-License-Identifier: GPL-2.0
/*
 * atemsys: which fd owns a device bound to one of the module's drivers (a
 * PCI function bound to atemsys_pci, a device-tree MAC), and the protocol
 * between that fd and the driver's remove(): remove() marks the device as
 * going, tells the owner (its read(), poll(), INT_CONNECT and mmap say
 * -ENODEV) and waits, for as long as it takes, until the owner lets go.
 * While a driver binds or unbinds, the fd side keeps off the device with
 * atemsys_pci_dev_trylock() (atemsys.h).
 */

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "atemsys.h"

/**
 * atemsys_owner_init() - a device nobody owns yet
 * @o: the device's ownership
 * @lock: the driver's mutex, which guards @o from now on
 */
void atemsys_owner_init(struct atemsys_owner *o, struct mutex *lock)
{
	o->lock = lock;
	init_waitqueue_head(&o->wq);
}

/**
 * atemsys_owner_claim() - make @af the owner
 * @o: the device's ownership, with o->lock held
 * @af: the claiming fd
 *
 * Return: 0; -ENODEV while the device is being removed; -EBUSY if an fd
 * owns it already (@af included).
 */
int atemsys_owner_claim(struct atemsys_owner *o, struct atemsys_file *af)
{
	lockdep_assert_held(o->lock);
	if (o->removing)
		return -ENODEV;
	if (o->af)
		return -EBUSY;
	WRITE_ONCE(o->af, af);
	o->pid = task_tgid_nr(current);
	get_task_comm(o->comm, current);
	return 0;
}

/**
 * atemsys_owner_release() - the owner lets go; a waiting remove() goes on
 * @o: the device's ownership (o->lock not held)
 */
void atemsys_owner_release(struct atemsys_owner *o)
{
	mutex_lock(o->lock);
	WRITE_ONCE(o->af, NULL);
	o->pid = 0;
	/* under the lock: remove() frees the device only after taking it */
	wake_up(&o->wq);
	mutex_unlock(o->lock);
}

/* A wait condition: lockless (no sleeping lock while not TASK_RUNNING) */
static bool atemsys_owner_gone(struct atemsys_owner *o)
{
	return !READ_ONCE(o->af);
}

/**
 * atemsys_owner_remove() - remove() of a device an fd may own
 * @o: the device's ownership (o->lock not held)
 * @dev: the device, for the log line
 *
 * From now on nobody can claim it; the owner, if any, is told and waited
 * for. The driver core cannot abandon an unbind: the wait is not killable,
 * but TASK_IDLE (no hung-task report, no load), for as long as it takes.
 * A process must not unbind a device it owns (it would wait for itself).
 */
void atemsys_owner_remove(struct atemsys_owner *o, struct device *dev)
{
	pid_t pid = 0;

	mutex_lock(o->lock);
	o->removing = true;
	if (o->af) {
		pid = o->pid;
		atemsys_irq_device_gone(&o->af->irq, true);
	}
	mutex_unlock(o->lock);

	if (!pid)
		return;
	dev_notice(dev, "in use by pid %d: unbind waits until it closes /dev/atemsys\n",
		   pid);
	wait_event_idle(o->wq, atemsys_owner_gone(o));
}
