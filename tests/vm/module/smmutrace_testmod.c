// SPDX-License-Identifier: GPL-2.0
/*
 * smmutrace_testmod: test equipment for the emulated board (QEMU virt has no
 * clock or power domain that can be toggled after boot). It creates, with
 * names the board file can refer to:
 *   clock        "smt_tbu_clk"   a gate clock (in-memory "register") whose
 *                                parent is "smt_tbu_parent_clk"
 *   power domain "smt_tbu_pd"    a generic PM domain (pm_genpd_init), off
 *   device       "smt-tbu.0"     a platform device in that domain with runtime
 *                                PM; runtime suspend/resume gate the clock
 * so real clk:*, rpm:* tracepoints and _genpd_power_on/off calls happen on
 * demand. Control from debugfs, /sys/kernel/debug/smt_tbu/:
 *   ctl     write "get" (pm_runtime_get_sync: pd on, clock on),
 *                 "put" (pm_runtime_put_sync: clock off, pd off),
 *                 "clk_on" / "clk_off" (the clock alone)
 *   status  read: rpm=<status> clk=<0|1> pd=<0|1> resumes=N suspends=N
 *                 pd_on=N pd_off=N
 *
 * It also drives QEMU's "edu" PCI device (-device edu), which sits behind the
 * SMMU like every PCI device on virt,iommu=smmuv3, to provoke a real SMMU
 * translation fault on a just-unmapped IOVA. /sys/kernel/debug/smt_edu/:
 *   ctl     write "fault": dma_map_single a page for the edu device, let the
 *                 edu DMA into it, dma_unmap_single it (map, unmap, TLBI,
 *                 sync), then start an edu DMA to that freed IOVA again
 *           write "dma": the same without the DMA after the unmap
 *   status  read: edu=<bdf|absent> iova=0x.. size=N runs=N dma_err=E
 *                 late_dma_err=E
 * One source for Debian's 5.10, 6.1, 6.12 and sid (7.x) arm64 kernels. Not
 * for production.
 */
#include <linux/clk.h>
#include <linux/clk-provider.h>
#include <linux/clkdev.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/pm_domain.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#define SMT_CLK_NAME "smt_tbu_clk"
#define SMT_PARENT_CLK_NAME "smt_tbu_parent_clk"
#define SMT_PD_NAME "smt_tbu_pd"
#define SMT_DEV_NAME "smt-tbu"

static struct smt_state {
	struct clk_hw *parent;
	struct clk_hw gate;
	u32 gate_reg;		/* the fake enable register */
	struct clk *clk;	/* consumer handle on the gate */
	struct clk_lookup *cl;	/* < 5.11 only: how clk is found */
	bool clk_direct;	/* enabled through "clk_on" */
	struct generic_pm_domain pd;
	bool pd_on;
	struct platform_device *pdev;
	bool gate_registered;
	bool pd_added;
	bool drv_registered;
	struct dentry *dir;
	unsigned long resumes, suspends, pd_ons, pd_offs;
	struct mutex lock;	/* serialises debugfs commands */
} smt;

/* ---- the gate clock --------------------------------------------------- */
static int smt_gate_enable(struct clk_hw *hw)
{
	WRITE_ONCE(smt.gate_reg, 1);
	return 0;
}

static void smt_gate_disable(struct clk_hw *hw)
{
	WRITE_ONCE(smt.gate_reg, 0);
}

static int smt_gate_is_enabled(struct clk_hw *hw)
{
	return READ_ONCE(smt.gate_reg);
}

static const struct clk_ops smt_gate_ops = {
	.enable = smt_gate_enable,
	.disable = smt_gate_disable,
	.is_enabled = smt_gate_is_enabled,
};

/*
 * A consumer handle on the gate. clk_hw_get_clk() arrived in 5.11; before,
 * a clkdev lookup under the clock's own name leads to it.
 */
static struct clk *smt_get_gate_clk(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	return clk_hw_get_clk(&smt.gate, "smt");
#else
	smt.cl = clkdev_hw_create(&smt.gate, SMT_CLK_NAME, NULL);
	if (!smt.cl)
		return ERR_PTR(-ENOMEM);
	return clk_get_sys(NULL, SMT_CLK_NAME);
#endif
}

/* ---- the power domain ------------------------------------------------- */
static int smt_pd_power_on(struct generic_pm_domain *pd)
{
	smt.pd_on = true;
	smt.pd_ons++;
	return 0;
}

static int smt_pd_power_off(struct generic_pm_domain *pd)
{
	smt.pd_on = false;
	smt.pd_offs++;
	return 0;
}

/* genpd's embedded device is put on removal; without a release() 6.1 WARNs. */
static void smt_pd_dev_release(struct device *dev)
{
}

/* ---- the device's runtime PM: gate the clock ---------------------------- */
static int smt_runtime_suspend(struct device *dev)
{
	clk_disable_unprepare(smt.clk);
	smt.suspends++;
	return 0;
}

static int smt_runtime_resume(struct device *dev)
{
	int err = clk_prepare_enable(smt.clk);

	if (!err)
		smt.resumes++;
	return err;
}

static const struct dev_pm_ops smt_pm_ops = {
	SET_RUNTIME_PM_OPS(smt_runtime_suspend, smt_runtime_resume, NULL)
};

static int smt_probe(struct platform_device *pdev)
{
	/* starts suspended: clock off, power domain off */
	pm_runtime_enable(&pdev->dev);
	return 0;
}

static void smt_remove_common(struct platform_device *pdev)
{
	pm_runtime_disable(&pdev->dev);
	if (!pm_runtime_status_suspended(&pdev->dev)) {
		clk_disable_unprepare(smt.clk);
		pm_runtime_set_suspended(&pdev->dev);
	}
}

/* platform_driver.remove returns void from 6.11 on */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static void smt_remove(struct platform_device *pdev)
{
	smt_remove_common(pdev);
}
#else
static int smt_remove(struct platform_device *pdev)
{
	smt_remove_common(pdev);
	return 0;
}
#endif

static struct platform_driver smt_driver = {
	.probe = smt_probe,
	.remove = smt_remove,
	.driver = {
		.name = SMT_DEV_NAME,
		.pm = &smt_pm_ops,
	},
};

/* ---- debugfs ---------------------------------------------------------- */
static ssize_t smt_ctl_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct device *dev = &smt.pdev->dev;
	char cmd[16];
	size_t n = min(len, sizeof(cmd) - 1);
	int err = 0;

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);

	mutex_lock(&smt.lock);
	if (!strcmp(cmd, "get")) {
		err = pm_runtime_get_sync(dev);
		if (err < 0)
			pm_runtime_put_noidle(dev);
		else
			err = 0;
	} else if (!strcmp(cmd, "put")) {
		err = pm_runtime_put_sync(dev);
		if (err > 0)
			err = 0;
	} else if (!strcmp(cmd, "clk_on")) {
		if (!smt.clk_direct) {
			err = clk_prepare_enable(smt.clk);
			smt.clk_direct = !err;
		}
	} else if (!strcmp(cmd, "clk_off")) {
		if (smt.clk_direct) {
			clk_disable_unprepare(smt.clk);
			smt.clk_direct = false;
		}
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&smt.lock);
	return err ? err : len;
}

static ssize_t smt_status_read(struct file *file, char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct device *dev = &smt.pdev->dev;
	const char *st;
	char buf[160];
	int n;

	if (pm_runtime_active(dev))
		st = "active";
	else if (pm_runtime_status_suspended(dev))
		st = "suspended";
	else
		st = "transition";
	n = scnprintf(buf, sizeof(buf),
		      "rpm=%s clk=%u pd=%d resumes=%lu suspends=%lu pd_on=%lu pd_off=%lu\n",
		      st, READ_ONCE(smt.gate_reg), smt.pd_on, smt.resumes,
		      smt.suspends, smt.pd_ons, smt.pd_offs);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations smt_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = smt_ctl_write,
	.llseek = noop_llseek,
};

static const struct file_operations smt_status_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = smt_status_read,
	.llseek = default_llseek,
};

/* ---- QEMU's edu device: a DMA master behind the SMMU ------------------ */
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	BIT(0)
#define EDU_CMD_TO_RAM	BIT(1)	/* direction: edu buffer -> RAM */
#define EDU_BUF		0x40000	/* edu's own 4 KiB buffer, device address */
/* QEMU's edu clamps DMA addresses to its dma_mask property: 28 bits by default */
#define EDU_DMA_BITS	28
/*
 * Bytes per edu DMA: less than its whole 4 KiB buffer, because QEMU 7.2's
 * range check (edu_check_range) rejects a transfer ending exactly at the
 * buffer's end with hw_error(), which stops the whole machine.
 */
#define EDU_DMA_LEN	2048
/*
 * The DMA into the freed IOVA: one 32-bit word. QEMU's SMMU records one event
 * per failed access of 4 bytes, and hundreds of records would flood the
 * event queue and the log; this gives exactly one, for the IOVA itself.
 */
#define EDU_LATE_DMA_LEN	4

static struct smt_edu {
	struct pci_dev *pdev;
	void __iomem *bar;
	dma_addr_t iova;	/* the last run's (unmapped) IOVA */
	unsigned long runs;
	int dma_err, late_dma_err;
	struct dentry *dir;
	bool drv_registered;
} edu;

/* edu DMA of len bytes from its buffer to dst; QEMU runs it from a 100 ms
 * timer and clears START when done, whether or not the SMMU let it through */
static int smt_edu_dma_to_ram(dma_addr_t dst, size_t len)
{
	u64 cmd;

	writeq(EDU_BUF, edu.bar + EDU_DMA_SRC);
	writeq(dst, edu.bar + EDU_DMA_DST);
	writeq(len, edu.bar + EDU_DMA_CNT);
	writeq(EDU_CMD_START | EDU_CMD_TO_RAM, edu.bar + EDU_DMA_CMD);
	return readq_poll_timeout(edu.bar + EDU_DMA_CMD, cmd, !(cmd & EDU_CMD_START),
				  1000, 10 * USEC_PER_SEC);
}

static int smt_edu_run(bool late_dma)
{
	struct device *dev = &edu.pdev->dev;
	dma_addr_t iova;
	void *buf;

	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	iova = dma_map_single(dev, buf, PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, iova)) {
		kfree(buf);
		return -EIO;
	}
	edu.dma_err = smt_edu_dma_to_ram(iova, EDU_DMA_LEN);
	dma_unmap_single(dev, iova, PAGE_SIZE, DMA_FROM_DEVICE);
	edu.iova = iova;
	edu.late_dma_err = 0;
	/* the freed IOVA: in strict mode its TLB entry is gone and the SMMU
	 * records a translation fault; buf is freed only after the DMA ended */
	if (late_dma)
		edu.late_dma_err = smt_edu_dma_to_ram(iova, EDU_LATE_DMA_LEN);
	kfree(buf);
	edu.runs++;
	return edu.dma_err ? edu.dma_err : edu.late_dma_err;
}

static ssize_t smt_edu_ctl_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char cmd[16];
	size_t n = min(len, sizeof(cmd) - 1);
	int err;

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);
	mutex_lock(&smt.lock);
	if (!edu.pdev)
		err = -ENODEV;
	else if (!strcmp(cmd, "fault"))
		err = smt_edu_run(true);
	else if (!strcmp(cmd, "dma"))
		err = smt_edu_run(false);
	else
		err = -EINVAL;
	mutex_unlock(&smt.lock);
	return err ? err : len;
}

static ssize_t smt_edu_status_read(struct file *file, char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char buf[160];
	int n;

	mutex_lock(&smt.lock);
	n = scnprintf(buf, sizeof(buf),
		      "edu=%s iova=%#llx size=%lu runs=%lu dma_err=%d late_dma_err=%d\n",
		      edu.pdev ? pci_name(edu.pdev) : "absent",
		      (unsigned long long)edu.iova, PAGE_SIZE, edu.runs,
		      edu.dma_err, edu.late_dma_err);
	mutex_unlock(&smt.lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations smt_edu_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = smt_edu_ctl_write,
	.llseek = noop_llseek,
};

static const struct file_operations smt_edu_status_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = smt_edu_status_read,
	.llseek = default_llseek,
};

static int smt_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int err;

	err = pci_enable_device(pdev);
	if (err)
		return err;
	err = pci_request_region(pdev, 0, "smt_edu");
	if (err)
		goto disable;
	edu.bar = pci_iomap(pdev, 0, 0);
	if (!edu.bar) {
		err = -ENOMEM;
		goto release;
	}
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (err)
		goto unmap;
	pci_set_master(pdev);
	mutex_lock(&smt.lock);
	edu.pdev = pdev;
	mutex_unlock(&smt.lock);
	return 0;
unmap:
	pci_iounmap(pdev, edu.bar);
release:
	pci_release_region(pdev, 0);
disable:
	pci_disable_device(pdev);
	return err;
}

static void smt_edu_remove(struct pci_dev *pdev)
{
	mutex_lock(&smt.lock);
	edu.pdev = NULL;
	mutex_unlock(&smt.lock);
	pci_clear_master(pdev);
	pci_iounmap(pdev, edu.bar);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
}

static const struct pci_device_id smt_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

static struct pci_driver smt_edu_driver = {
	.name = "smt_edu",
	.id_table = smt_edu_ids,
	.probe = smt_edu_probe,
	.remove = smt_edu_remove,
};

/* ---- setup and teardown ----------------------------------------------- */
static void smt_teardown(void)
{
	debugfs_remove_recursive(edu.dir);
	if (edu.drv_registered)
		pci_unregister_driver(&smt_edu_driver);
	debugfs_remove_recursive(smt.dir);
	if (smt.drv_registered)
		platform_driver_unregister(&smt_driver);
	if (smt.pd_added)
		pm_genpd_remove_device(&smt.pdev->dev);
	if (smt.pdev)
		platform_device_unregister(smt.pdev);
	if (smt.pd.name)
		pm_genpd_remove(&smt.pd);
	if (smt.clk_direct)
		clk_disable_unprepare(smt.clk);
	if (smt.clk)
		clk_put(smt.clk);
	if (smt.cl)
		clkdev_drop(smt.cl);
	if (smt.gate_registered)
		clk_hw_unregister(&smt.gate);
	if (smt.parent)
		clk_hw_unregister_fixed_rate(smt.parent);
}

static int __init smt_init(void)
{
	static const char *const parents[] = { SMT_PARENT_CLK_NAME };
	struct clk_init_data init = {
		.name = SMT_CLK_NAME,
		.ops = &smt_gate_ops,
		.parent_names = parents,
		.num_parents = 1,
	};
	struct clk *clk;
	int err;

	mutex_init(&smt.lock);

	smt.parent = clk_hw_register_fixed_rate(NULL, SMT_PARENT_CLK_NAME, NULL, 0, 100000000);
	if (IS_ERR(smt.parent)) {
		err = PTR_ERR(smt.parent);
		smt.parent = NULL;
		goto fail;
	}
	smt.gate.init = &init;
	err = clk_hw_register(NULL, &smt.gate);
	if (err)
		goto fail;
	smt.gate_registered = true;
	clk = smt_get_gate_clk();
	if (IS_ERR(clk)) {
		err = PTR_ERR(clk);
		goto fail;
	}
	smt.clk = clk;

	smt.pd.name = SMT_PD_NAME;
	smt.pd.power_on = smt_pd_power_on;
	smt.pd.power_off = smt_pd_power_off;
	smt.pd.dev.release = smt_pd_dev_release;
	err = pm_genpd_init(&smt.pd, NULL, true);
	if (err) {
		smt.pd.name = NULL;
		goto fail;
	}

	smt.pdev = platform_device_register_simple(SMT_DEV_NAME, 0, NULL, 0);
	if (IS_ERR(smt.pdev)) {
		err = PTR_ERR(smt.pdev);
		smt.pdev = NULL;
		goto fail;
	}
	err = pm_genpd_add_device(&smt.pd, &smt.pdev->dev);
	if (err)
		goto fail;
	smt.pd_added = true;

	err = platform_driver_register(&smt_driver);
	if (err)
		goto fail;
	smt.drv_registered = true;

	smt.dir = debugfs_create_dir("smt_tbu", NULL);
	debugfs_create_file("ctl", 0200, smt.dir, NULL, &smt_ctl_fops);
	debugfs_create_file("status", 0444, smt.dir, NULL, &smt_status_fops);
	/* no edu device (an older rig) is fine: its status says "absent" */
	err = pci_register_driver(&smt_edu_driver);
	if (err)
		goto fail;
	edu.drv_registered = true;
	edu.dir = debugfs_create_dir("smt_edu", NULL);
	debugfs_create_file("ctl", 0200, edu.dir, NULL, &smt_edu_ctl_fops);
	debugfs_create_file("status", 0444, edu.dir, NULL, &smt_edu_status_fops);

	pr_info("smmutrace_testmod: clock %s, power domain %s, device %s ready\n",
		SMT_CLK_NAME, SMT_PD_NAME, dev_name(&smt.pdev->dev));
	return 0;

fail:
	pr_err("smmutrace_testmod: setup failed: %d\n", err);
	smt_teardown();
	return err;
}

static void __exit smt_exit(void)
{
	smt_teardown();
}

module_init(smt_init);
module_exit(smt_exit);
MODULE_DESCRIPTION("smmutrace test equipment: gate clock, PM domain, runtime-PM device");
MODULE_LICENSE("GPL");
