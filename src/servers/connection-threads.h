// ConnectionThreads: the connections of a blocking listener (TS, SRT), each served on a thread
// of its own. The accept thread adds and reaps; the listener's destructor stops them all.
//
// `Connection` provides run() (the thread body; returns when the session ends), finished()
// (true once run() is done, any thread) and shutdown() (makes run() return soon, any thread).
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace estuary {

template <typename Connection>
class ConnectionThreads {
 public:
  ConnectionThreads() = default;
  ~ConnectionThreads() { stop_all(); }
  ConnectionThreads(const ConnectionThreads &) = delete;
  ConnectionThreads &operator=(const ConnectionThreads &) = delete;

  // Takes `connection` and runs it on a new thread.
  void add(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> guard(lock_);
    entries_.push_back(Entry{std::move(connection), std::thread()});
    Connection *c = entries_.back().connection.get();
    entries_.back().thread = std::thread([c] { c->run(); });
  }

  // Joins and frees the connections that have finished.
  void reap() { join(false); }

  // Shuts every connection down and joins them all. Idempotent.
  void stop_all() {
    {
      std::lock_guard<std::mutex> guard(lock_);
      for (Entry &e : entries_) e.connection->shutdown();
    }
    join(true);
  }

 private:
  struct Entry {
    std::unique_ptr<Connection> connection;
    std::thread thread;
  };

  void join(bool all) {
    std::list<Entry> done;
    {
      std::lock_guard<std::mutex> guard(lock_);
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (all || it->connection->finished()) {
          done.splice(done.end(), entries_, it++);
        } else {
          ++it;
        }
      }
    }
    // Joined outside the lock: a finishing connection never waits for the accept thread.
    for (Entry &e : done) {
      if (e.thread.joinable()) e.thread.join();
    }
  }

  std::mutex lock_;  // guards entries_
  std::list<Entry> entries_;
};

}  // namespace estuary
