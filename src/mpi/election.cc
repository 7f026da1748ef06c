#include "mpi/election.h"

#include <algorithm>
#include <cstdio>

#include "mpi/tags.h"

namespace dla::mpi {

MasterWatch::MasterWatch(int rank, int size, int standbys, const DistributedOptions& opt)
    : rank_(rank), size_(size), standbys_(standbys), opt_(opt) {}

bool MasterWatch::is_old(int r) const { return std::find(old_.begin(), old_.end(), r) != old_.end(); }

std::vector<int> MasterWatch::sources() const {
  std::vector<int> out{master_};
  for (int s = 1; s <= standbys_ && s < size_; ++s)
    if (s != master_ && s != rank_ && !is_old(s)) out.push_back(s);
  return out;
}

bool MasterWatch::standby() const { return rank_ >= 1 && rank_ <= standbys_ && rank_ != master_ && !is_old(rank_); }

// A master of `term` at `rank` supersedes the current one (ties: the lower rank).
bool MasterWatch::newer(long long term, int rank) const {
  return term > term_ || (term == term_ && rank < master_);
}

bool MasterWatch::filter(const Incoming& m, double now, Outbox& out, Event* ev) {
  *ev = Event::None;
  const int r = m.source;
  const long long term = m.nums.empty() ? 0 : m.nums[0];  // (control messages: [term ...])
  switch (m.tag) {
    case wire::kElection:
      // A higher standby no longer hears the master: tell it a lower one lives (it waits for our
      // COORDINATOR). Our own election starts once we too see the silence (tick).
      out.send(r, wire::kAlive, {term_});
      return true;
    case wire::kAlive:
      if (state_ == State::Electing) {
        std::fprintf(stderr, "[Standby %d] rank %d is alive and lower - waiting for its COORDINATOR\n", rank_, r);
        state_ = State::Deferred;
        until_ = now + opt_.timeout;
      }
      return true;
    case wire::kCoordinator:
      if (!newer(term, r)) return true;  // an older reign's late announcement
      if (!is_old(master_)) old_.push_back(master_);
      master_ = r;
      term_ = term;
      failovers_ = static_cast<int>(m.nums[1]);
      last_heard_ = now;
      state_ = State::Idle;
      *ev = Event::NewMaster;
      return true;
    case wire::kMasterBeat:
      if (r == master_) last_heard_ = now;
      return true;
    default:
      break;
  }
  if (r != master_) return true;  // a deposed master (or a stranger): never obeyed
  last_heard_ = now;
  if (state_ != State::Idle) state_ = State::Idle;  // it lives after all
  return false;
}

MasterWatch::Event MasterWatch::start_election(double now, Outbox& out) {
  if (state_ == State::Idle) detected_ = now;
  int asked = 0;
  for (int s = 1; s < rank_; ++s) {
    if (s == master_ || is_old(s)) continue;
    if (out.send(s, wire::kElection, {term_ + 1})) ++asked;  // (SMPI: never to a vanished rank)
  }
  std::fprintf(stderr, "[Standby %d] master rank %d silent for %.2fs - election for term %lld: %d lower standby(s) asked\n",
               rank_, master_, now - last_heard_, term_ + 1, asked);
  if (asked == 0) return Event::Won;
  state_ = State::Electing;
  until_ = now + opt_.heartbeat;
  return Event::None;
}

MasterWatch::Event MasterWatch::tick(double now, Outbox& out) {
  if (!enabled() || !standby()) return Event::None;
  switch (state_) {
    case State::Idle:
      if (now - last_heard_ > (linger_ ? std::max(opt_.timeout, opt_.master_timeout) : opt_.timeout))
        return start_election(now, out);
      return Event::None;
    case State::Electing:
      return now >= until_ ? Event::Won : Event::None;
    case State::Deferred:
      if (now >= until_) return start_election(now, out);  // the lower one never announced itself
      return Event::None;
  }
  return Event::None;
}

}  // namespace dla::mpi
