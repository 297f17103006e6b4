/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests. Each returns ST_PASS, ST_FAIL or ST_SKIP and runs in its
 * own child process (see ktap.c); main.c holds the plan.
 */
#ifndef ST_TESTS_H
#define ST_TESTS_H

#include "ktap.h"

/* tests_module.c */
enum st_result test_version(void);
enum st_result test_rmmod_refused_while_open(void);
enum st_result test_kernel_log_clean(void);
enum st_result test_kmemleak_clean(void);
enum st_result test_rmmod_after_close(void);
enum st_result test_init_script_mdev(void);
/* Check kernel log records as they come, from start to stop (fuzz) */
struct st_kmsg_watch;
struct st_kmsg_watch *st_kmsg_watch_start(void);
enum st_result st_kmsg_watch_stop(struct st_kmsg_watch *w, const char *during);
enum st_result test_device_permissions(void);

/* tests_pci.c */
enum st_result test_find_by_id(void);
enum st_result test_conf_by_bdf(void);
enum st_result test_bar_mmap_edu(void);
enum st_result test_dma_to_device(void);
enum st_result test_dma_from_device(void);
enum st_result test_old_struct_revisions(void);
enum st_result test_release_and_reconf(void);
enum st_result test_negative(void);
enum st_result test_unclaimed_mmio(void);
enum st_result test_e1000e_status(void);
enum st_result test_release_resets_function(void);
enum st_result test_atemsys_pci_driver(void);

/* tests_dma.c */
enum st_result test_dma_churn(void);
enum st_result test_dma_limit(void);
enum st_result test_dma_kept_for_unreset(void);
enum st_result test_dt_dma_kept_without_resets(void);

/* tests_irq.c */
enum st_result test_irq_msi(void);
enum st_result test_irq_intx(void);
enum st_result test_irq_shared_intx(void);
enum st_result test_poll(void);
enum st_result test_irq_disconnect_wakes_reader(void);
enum st_result test_cpu_affinity(void);
enum st_result test_killed_child_cleanup(void);
enum st_result test_killed_holder_quiet(void);
enum st_result test_hot_remove_waits(void);
enum st_result test_hot_unplug_qmp(void);
enum st_result test_unbind_rmmod_race(void);

/* tests_dt.c */
enum st_result test_dt_mac_info(void);
enum st_result test_dt_reg_mmap(void);
enum st_result test_dt_second_fd_busy(void);
enum st_result test_dt_irq(void);
enum st_result test_dt_iomem(void);
enum st_result test_dt_negative(void);
enum st_result test_dt_unbind_rebind(void);
enum st_result test_dt_killed_holder_reset(void);

/* tests_dt_phy.c */
enum st_result test_dt_mdio_proxy(void);
enum st_result test_dt_close_stops_phy(void);
enum st_result test_dt_mdio_timeout(void);
enum st_result test_dt_mdio_stall(void);

/* tests_ll.c */
enum st_result test_ll_atemsys_poll(void);
enum st_result test_ll_atemsys_irq(void);
enum st_result test_ll_packet(void);
enum st_result test_ll_sim_packet(void);
enum st_result test_ll_bad_input_to_sim(void);
enum st_result test_ll_truncated_answer(void);
enum st_result test_ll_wrong_ethertype(void);
enum st_result test_ll_wkc_mismatch(void);
enum st_result test_ll_simulator_gone(void);
enum st_result test_ll_link_lost(void);
enum st_result test_ll_kill_master(void);

/* tests_compat.c */
enum st_result test_compat32(void);

/*
 * main.c: the options of the 32-bit run, as NULL-terminated argv after
 * the program name: --subtest and this run's selection and time limit.
 */
size_t st_subtest_args(const char **argv, size_t max);
/* main.c: is this the 32-bit build's run under a 64-bit one (compat32)? */
bool st_subtest_run(void);

/* tests_fuzz.c */
enum st_result test_fuzz(void);

#endif /* ST_TESTS_H */
