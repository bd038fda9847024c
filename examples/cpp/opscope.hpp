// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A C++ face for libopscope (<opscope/ops.h>): an operation is a scoped object that
 * begins where it is constructed and ends where it goes out of scope, on every path out
 * (return, break, exception). Header-only; link with -lopscope (pkg-config opscope).
 *
 *	static const opscope::kind parse("parse");
 *	void handle(...) {
 *		opscope::op o(parse);       // begins
 *		...
 *	}                                   // ends
 *
 * An operation run by another thread (a pool): the caller's opscope::op travels with the
 * task (op.handle()), and the thread that runs it holds an opscope::exec while it does.
 */
#ifndef OPSCOPE_HPP
#define OPSCOPE_HPP

#include <opscope/ops.h>

namespace opscope {

/* An operation kind: a name registered once (keep it static). */
class kind {
public:
	explicit kind(const char *name) : id_(opscope_kind(name)) {}
	int id() const { return id_; }

private:
	int id_;
};

/* One operation, from construction to destruction (or to failed()). */
class op {
public:
	explicit op(const kind &k) { opscope_begin(&op_, k.id()); }
	~op()
	{
		if (!ended_)
			opscope_end(&op_);
	}
	op(const op &) = delete;
	op &operator=(const op &) = delete;

	/* End it now as failed: counted in the error rate, not in the latencies. */
	void failed()
	{
		if (!ended_)
			opscope_end_failed(&op_);
		ended_ = true;
	}
	/* For the thread that runs it (opscope::exec); valid while this object lives. */
	opscope_op *handle() { return &op_; }

private:
	opscope_op op_;
	bool ended_ = false;
};

/* The calling thread runs another thread's operation for this object's lifetime. */
class exec {
public:
	explicit exec(opscope_op *o) : op_(o) { opscope_exec_begin(op_); }
	~exec() { opscope_exec_end(op_); }
	exec(const exec &) = delete;
	exec &operator=(const exec &) = delete;

private:
	opscope_op *op_;
};

} // namespace opscope

#endif
