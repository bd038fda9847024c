// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A request handler marked with opscope.hpp: each request parses (CPU), looks up (a
 * sleep standing in for I/O) and, one in five, fails; the lookups run on a worker thread
 * (a one-thread pool), so opscope record shows their queueing apart from their work.
 *
 *	c++ -std=c++17 -O2 example.cpp $(pkg-config --cflags --libs opscope) -pthread -o example
 *	sudo opscope record -o out -- ./example 200
 */
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include "opscope.hpp"

static const opscope::kind k_request("req.handle");
static const opscope::kind k_parse("req.parse");
static const opscope::kind k_lookup("req.lookup");

/* A one-thread pool: one task at a time, handed over under a mutex. */
class pool {
public:
	pool() : worker_([this] { run(); }) {}
	~pool()
	{
		{
			std::lock_guard<std::mutex> g(m_);
			quit_ = true;
		}
		cv_.notify_all();
		worker_.join();
	}
	/* Run a lookup on the worker and wait for it; op travels with the task. */
	unsigned lookup(opscope::op &op, unsigned key)
	{
		std::unique_lock<std::mutex> g(m_);
		task_ = op.handle();
		key_ = key;
		done_ = false;
		cv_.notify_all();
		cv_.wait(g, [this] { return done_; });
		return result_;
	}

private:
	void run()
	{
		std::unique_lock<std::mutex> g(m_);
		for (;;) {
			cv_.wait(g, [this] { return quit_ || task_; });
			if (!task_)
				return;
			{
				opscope::exec e(task_); /* this thread runs the caller's op */
				std::this_thread::sleep_for(std::chrono::microseconds(300));
				result_ = key_ * 2654435761u;
			}
			task_ = nullptr;
			done_ = true;
			cv_.notify_all();
		}
	}

	std::mutex m_;
	std::condition_variable cv_;
	opscope_op *task_ = nullptr;
	unsigned key_ = 0, result_ = 0;
	bool done_ = false, quit_ = false;
	std::thread worker_;
};

static unsigned parse(unsigned n)
{
	opscope::op o(k_parse);
	unsigned h = n;

	for (int i = 0; i < 20000; i++)
		h = h * 31 + (unsigned)i;
	return h;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? std::atoi(argv[1]) : 100;
	unsigned sum = 0;
	int failed = 0;
	pool p;

	for (int i = 0; i < n; i++) {
		opscope::op req(k_request);
		unsigned key = parse((unsigned)i);
		opscope::op look(k_lookup);

		sum += p.lookup(look, key);
		if (i % 5 == 4) {
			req.failed();
			failed++;
		}
	}
	std::printf("%d requests, %d failed, checksum %u\n", n, failed, sum);
	return 0;
}
