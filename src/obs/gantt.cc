#include "obs/gantt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace dla {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string f2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string secs(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

double nice_step(double span, int target) {
  if (span <= 0) return 1;
  const double raw = span / target;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string task_color(int task) {
  // Golden-angle hues: neighbouring task ids get distinct colours; a reassigned task keeps its colour.
  const double hue = std::fmod(static_cast<double>(task < 0 ? 0 : task) * 137.508, 360.0);
  char b[48];
  std::snprintf(b, sizeof b, "hsl(%.0f,55%%,62%%)", hue);
  return b;
}

// A steal moves a task that was queued (assigned, never started) on another rank: that bar goes.
void drop_victims_assignment(GanttModel& m, std::map<std::pair<int, int>, std::size_t>& open, const TraceEvent& steal) {
  for (auto it = open.begin(); it != open.end();) {
    if (it->first.second == steal.task && it->first.first != steal.rank) {
      m.bars[it->second].moved = true;
      it = open.erase(it);
    } else {
      ++it;
    }
  }
}

// The copies of a speculated task that did not produce the applied result lost the race.
void mark_lost_races(GanttModel& m) {
  std::set<int> speculated;
  for (const auto& b : m.bars)
    if (b.speculative) speculated.insert(b.task);
  for (auto& b : m.bars)
    if (speculated.count(b.task) && (b.outcome == GanttBar::Cancelled || b.outcome == GanttBar::Duplicate)) b.lost_race = true;
}

// Turns events into bars and marks, one event at a time.
class GanttBuilder {
 public:
  void add(const TraceEvent& e) {
    max_rank_ = std::max(max_rank_, e.rank);
    m_.end = std::max(m_.end, e.time);
    const bool lab = e.event == "steal" || e.event == "speculate";
    if (e.task >= 0 && (e.event == "assign" || e.event == "reassign" || e.event == "start" || lab)) open_bar(e, lab);
    else if (e.task >= 0 && e.event == "cancel") cancel(e);
    else if (e.task >= 0 && (e.event == "result" || e.event == "duplicate")) close_bar(e);
    else if (e.event == "timeout") timeout(e);
    else if (e.event == "crash" || e.event == "checkpoint" || e.event == "stop") m_.marks.push_back({e.rank, e.time, e.event, e.task});
  }

  GanttModel finish() {
    for (auto& [key, idx] : open_) {
      m_.bars[idx].end = m_.end;
      m_.bars[idx].outcome = GanttBar::Open;
    }
    mark_lost_races(m_);
    m_.ranks = max_rank_ + 1;
    return std::move(m_);
  }

 private:
  using Key = std::pair<int, int>;  // (rank, task)

  std::map<Key, std::size_t>::iterator new_bar(const TraceEvent& e) {
    GanttBar b;
    b.rank = e.rank;
    b.task = e.task;
    b.begin = b.end = e.time;
    b.bytes = e.bytes;
    m_.bars.push_back(b);
    return open_.emplace(Key{e.rank, e.task}, m_.bars.size() - 1).first;
  }

  void open_bar(const TraceEvent& e, bool lab) {
    if (e.event == "reassign" || lab) m_.marks.push_back({e.rank, e.time, e.event, e.task});
    auto it = open_.find({e.rank, e.task});
    if (it == open_.end()) it = new_bar(e);
    else if (e.event == "start") m_.bars[it->second].begin = e.time;  // the worker's own start is more precise than the assign
    if (e.event == "speculate") m_.bars[it->second].speculative = true;
    if (e.event == "steal") {
      m_.bars[it->second].stolen = true;
      drop_victims_assignment(m_, open_, e);
    }
  }

  void cancel(const TraceEvent& e) {
    auto it = open_.find({e.rank, e.task});
    if (it == open_.end()) return;
    m_.bars[it->second].end = e.time;
    m_.bars[it->second].outcome = GanttBar::Cancelled;
    open_.erase(it);
  }

  void close_bar(const TraceEvent& e) {
    const Key key{e.rank, e.task};
    auto it = open_.find(key);
    if (it == open_.end()) {
      auto l = lost_.find(key);
      if (l != lost_.end()) {  // the rank was declared failed, yet its result arrives: a false failure
        auto& b = m_.bars[l->second];
        b.end = e.time;
        b.outcome = e.event == "result" ? GanttBar::Done : GanttBar::Duplicate;
        b.late = true;
        lost_.erase(l);
        return;
      }
      it = new_bar(e);  // a result without a recorded start: a zero-length bar
    }
    auto& b = m_.bars[it->second];
    b.end = e.time;
    b.outcome = e.event == "result" ? GanttBar::Done : GanttBar::Duplicate;
    if (e.bytes) b.bytes = e.bytes;
    open_.erase(it);
  }

  void timeout(const TraceEvent& e) {
    for (auto it = open_.begin(); it != open_.end();) {
      if (it->first.first == e.rank) {
        m_.bars[it->second].end = e.time;
        m_.bars[it->second].outcome = GanttBar::Lost;
        lost_[it->first] = it->second;
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
    m_.marks.push_back({e.rank, e.time, e.event, e.task});
  }

  GanttModel m_;
  std::map<Key, std::size_t> open_;  // (rank, task) -> index of its open bar
  std::map<Key, std::size_t> lost_;  // bars cut by a timeout: a late result may still come
  int max_rank_ = 0;
};

}  // namespace

GanttModel build_gantt(const Trace& t) {
  GanttBuilder b;
  for (const auto& e : t.events()) b.add(e);
  return b.finish();
}

namespace {

// The drawing's geometry: one row per rank under a title, a time axis and a legend below.
struct Frame {
  int ranks;
  double row, left, top, plot_w, plot_h, height, span;
  Frame(const GanttModel& m, const GanttOptions& o)
      : ranks(std::max(1, m.ranks)),
        row(std::clamp(560.0 / ranks, 1.0, 18.0)),
        left(84),
        top(56),
        plot_w(std::max(200, o.width) - left - 20),
        plot_h(row * ranks),
        height(top + plot_h + 70),
        span(m.end > 0 ? m.end : 1) {}
  double X(double t) const { return left + plot_w * t / span; }
  double Y(int r) const { return top + row * r; }
};

// Whether the model has scheduling-lab features (`what`: steal, speculate, lost_race).
bool has_lab(const GanttModel& m, const std::string& what) {
  if (what == "lost_race") return std::any_of(m.bars.begin(), m.bars.end(), [](const GanttBar& b) { return b.lost_race; });
  return std::any_of(m.marks.begin(), m.marks.end(), [&](const GanttMark& k) { return k.event == what; });
}

// ", N steals, M speculative copies" when the trace has them, else nothing (older pictures unchanged).
std::string lab_counts(const GanttModel& m) {
  int steals = 0, copies = 0;
  for (const auto& k : m.marks) {
    steals += k.event == "steal";
    copies += k.event == "speculate";
  }
  std::string out;
  if (steals) out += ", " + std::to_string(steals) + " steals";
  if (copies) out += ", " + std::to_string(copies) + " speculative copies";
  return out;
}

void write_header(std::ostringstream& s, const GanttModel& m, const GanttOptions& o, const Frame& f) {
  int done = 0, lost = 0, dup = 0, late = 0, timeouts = 0, reassigns = 0;
  for (const auto& b : m.bars) {
    if (b.late) ++late;
    if (b.outcome == GanttBar::Done) ++done;
    if (b.outcome == GanttBar::Lost) ++lost;
    if (b.outcome == GanttBar::Duplicate) ++dup;
  }
  for (const auto& k : m.marks) {
    if (k.event == "timeout") ++timeouts;
    if (k.event == "reassign") ++reassigns;
  }
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << f2(f.height)
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << f.left << "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" << esc(o.title) << "</text>\n"
    << "<text x=\"" << f.left << "\" y=\"38\">" << f.ranks << " ranks, " << done << " task results, " << lost
    << " lost, " << dup << " duplicates, " << late << " late, " << timeouts << " failures detected, " << reassigns
    << " reassignments" << lab_counts(m) << ", end " << secs(m.end) << " s</text>\n";
  if (has_lab(m, "lost_race"))  // hatch for the losing copies of speculated tasks
    s << "<defs><pattern id=\"lost-race\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ddd\"/><line x1=\"0\" y1=\"0\" x2=\"0\" "
         "y2=\"6\" stroke=\"#7b3fa0\" stroke-width=\"2.5\"/></pattern></defs>\n";
}

void write_rows_and_axis(std::ostringstream& s, const Frame& f) {
  const double row = f.row;
  const int label_every = std::max(1, static_cast<int>(std::ceil(11.0 / row)));
  s << "<g id=\"rows\">\n";
  for (int r = 0; r < f.ranks; ++r) {
    if (r % 2 == 1 && row >= 3)
      s << "<rect x=\"" << f.left << "\" y=\"" << f2(f.Y(r)) << "\" width=\"" << f2(f.plot_w) << "\" height=\"" << f2(row) << "\" fill=\"#f3f3f3\"/>\n";
    if (r % label_every == 0)
      s << "<text x=\"" << f.left - 6 << "\" y=\"" << f2(f.Y(r) + std::min(row, 11.0) * 0.85) << "\" text-anchor=\"end\" font-size=\""
        << f2(std::min(11.0, std::max(row, 7.0))) << "\">" << (r == 0 ? "0 (master)" : std::to_string(r)) << "</text>\n";
  }
  s << "</g>\n";
  const double step = nice_step(f.span, 10);
  s << "<g id=\"axis\" stroke=\"#bbb\">\n";
  for (double t = 0; t <= f.span * 1.0001; t += step) {
    s << "<line x1=\"" << f2(f.X(t)) << "\" y1=\"" << f2(f.top) << "\" x2=\"" << f2(f.X(t)) << "\" y2=\"" << f2(f.top + f.plot_h)
      << "\" stroke-dasharray=\"2,3\"/>\n"
      << "<text x=\"" << f2(f.X(t)) << "\" y=\"" << f2(f.top + f.plot_h + 14) << "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333\">"
      << secs(t) << "</text>\n";
  }
  s << "</g>\n<text x=\"" << f2(f.left + f.plot_w / 2) << "\" y=\"" << f2(f.top + f.plot_h + 30)
    << "\" text-anchor=\"middle\">time (s)</text>\n";
}

const char* outcome_class(GanttBar::Outcome o) {
  return o == GanttBar::Done        ? "done"
         : o == GanttBar::Lost      ? "lost"
         : o == GanttBar::Duplicate ? "duplicate"
         : o == GanttBar::Cancelled ? "cancelled"
                                    : "open";
}

// Scheduling-lab styling of a bar: the class words, and fill/stroke overrides.
std::string lab_class(const GanttBar& b) {
  std::string c;
  if (b.speculative) c += "speculative ";
  if (b.stolen) c += "stolen ";
  if (b.lost_race) c += "lost-race ";
  return c;
}

void lab_style(const GanttBar& b, std::string& fill, std::string& extra, const char*& what) {
  if (b.outcome == GanttBar::Cancelled) {
    fill = "#ddd";
    what = "cancelled: another copy won";
  }
  if (b.lost_race) {
    fill = "url(#lost-race)";
    if (b.outcome == GanttBar::Duplicate) what = "losing copy (its result came second, dropped)";
  }
  if (b.speculative) extra = " stroke=\"#7b3fa0\" stroke-width=\"1.5\"";
  else if (b.stolen) extra = " stroke=\"#1f5fbf\" stroke-width=\"1.2\"";
}

void write_bar(std::ostringstream& s, const GanttBar& b, const Frame& f, bool tooltips) {
  if (b.moved) return;
  const double row = f.row;
  const double x = f.X(b.begin), w = std::max(f.X(b.end) - x, 0.8);
  const double y = f.Y(b.rank) + (row >= 4 ? 1 : 0), h = std::max(row - (row >= 4 ? 2 : 0), 0.8);
  std::string fill = task_color(b.task), extra;
  const char* what = "done";
  if (b.outcome == GanttBar::Duplicate) {
    fill = "#9e9e9e";
    what = b.late ? "late duplicate (rank declared failed, result dropped)" : "duplicate (result dropped)";
    if (b.late) extra = " stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"4,2\"";
  } else if (b.outcome == GanttBar::Lost) {
    fill = "#e8a0a0";
    extra = " stroke=\"#c00\" stroke-width=\"1\"";
    what = "lost (rank declared failed)";
  } else if (b.late) {
    extra = " stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"4,2\"";
    what = "late result: the rank had been declared failed";
  } else if (b.outcome == GanttBar::Open) {
    extra = " stroke=\"#f80\" stroke-dasharray=\"3,2\"";
    what = "unfinished at the end of the trace";
  }
  if (b.speculative || b.stolen || b.lost_race || b.outcome == GanttBar::Cancelled) lab_style(b, fill, extra, what);
  s << "<rect class=\"task " << (b.late ? "late " : "") << lab_class(b) << outcome_class(b.outcome) << "\" x=\"" << f2(x) << "\" y=\"" << f2(y)
    << "\" width=\"" << f2(w) << "\" height=\"" << f2(h) << "\" fill=\"" << fill << "\"" << extra;
  if (tooltips)
    s << "><title>rank " << b.rank << " task " << b.task << ": " << secs(b.begin) << " - " << secs(b.end) << " s, "
      << b.bytes << " bytes, " << what << "</title></rect>\n";
  else
    s << "/>\n";
  if (w > 22 && row >= 10)
    s << "<text x=\"" << f2(x + 3) << "\" y=\"" << f2(y + h - 3) << "\" font-size=\"9\" fill=\"#222\">" << b.task << "</text>\n";
}

void write_mark(std::ostringstream& s, const GanttMark& k, const Frame& f) {
  const double ms = std::max(3.0, std::min(f.row * 0.45, 7.0));
  const double x = f.X(k.time), yc = f.Y(k.rank) + f.row / 2;
  if (k.event == "timeout" || k.event == "crash") {
    const char* col = k.event == "timeout" ? "#d00" : "#000";
    if (k.event == "timeout")
      s << "<line class=\"failure\" x1=\"" << f2(x) << "\" y1=\"" << f2(f.top) << "\" x2=\"" << f2(x) << "\" y2=\"" << f2(f.top + f.plot_h)
        << "\" stroke=\"#d00\" stroke-width=\"0.8\" stroke-dasharray=\"5,3\" opacity=\"0.6\"/>\n";
    s << "<path class=\"" << k.event << "\" d=\"M" << f2(x - ms) << "," << f2(yc - ms) << " L" << f2(x + ms) << "," << f2(yc + ms) << " M"
      << f2(x - ms) << "," << f2(yc + ms) << " L" << f2(x + ms) << "," << f2(yc - ms) << "\" stroke=\"" << col
      << "\" stroke-width=\"2.2\"><title>rank " << k.rank << " " << (k.event == "timeout" ? "declared failed" : "crashed") << " at "
      << secs(k.time) << " s</title></path>\n";
  } else if (k.event == "reassign") {
    s << "<path class=\"reassign\" d=\"M" << f2(x) << "," << f2(yc - ms) << " L" << f2(x + ms) << "," << f2(yc + ms) << " L"
      << f2(x - ms) << "," << f2(yc + ms) << " Z\" fill=\"#f80\"><title>task " << k.task << " reassigned (rank " << k.rank
      << ") at " << secs(k.time) << " s</title></path>\n";
  } else if (k.event == "checkpoint") {
    s << "<path class=\"checkpoint\" d=\"M" << f2(x) << "," << f2(yc - ms) << " L" << f2(x + ms) << "," << f2(yc) << " L" << f2(x) << ","
      << f2(yc + ms) << " L" << f2(x - ms) << "," << f2(yc) << " Z\" fill=\"#2a2\"><title>checkpoint at " << secs(k.time)
      << " s</title></path>\n";
  } else if (k.event == "steal") {
    s << "<path class=\"steal\" d=\"M" << f2(x - ms) << "," << f2(yc - ms) << " L" << f2(x) << "," << f2(yc) << " L" << f2(x - ms) << ","
      << f2(yc + ms) << "\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"><title>task " << k.task << " stolen by rank " << k.rank
      << " at " << secs(k.time) << " s</title></path>\n";
  } else if (k.event == "speculate") {
    s << "<path class=\"speculate\" d=\"M" << f2(x - ms) << "," << f2(yc) << " L" << f2(x + ms) << "," << f2(yc) << " M" << f2(x) << ","
      << f2(yc - ms) << " L" << f2(x) << "," << f2(yc + ms) << "\" stroke=\"#7b3fa0\" stroke-width=\"2.2\"><title>speculative copy of task "
      << k.task << " on rank " << k.rank << " at " << secs(k.time) << " s</title></path>\n";
  } else if (k.event == "stop" && f.row >= 3) {
    s << "<line class=\"stop\" x1=\"" << f2(x) << "\" y1=\"" << f2(f.Y(k.rank)) << "\" x2=\"" << f2(x) << "\" y2=\"" << f2(f.Y(k.rank) + f.row)
      << "\" stroke=\"#777\" stroke-width=\"1.5\"/>\n";
  }
}

void write_legend(std::ostringstream& s, const Frame& f, const GanttModel& m) {
  const double ly = f.top + f.plot_h + 48;
  double lx = f.left;
  auto legend = [&](const std::string& shape, const std::string& text) {
    s << shape << "<text x=\"" << f2(lx + 16) << "\" y=\"" << f2(ly + 9) << "\">" << text << "</text>\n";
    lx += 16 + 7.0 * static_cast<double>(text.size()) + 18;
  };
  auto box = [&](const std::string& style) {
    return "<rect x=\"" + f2(lx) + "\" y=\"" + f2(ly) + "\" width=\"12\" height=\"10\" " + style + "/>";
  };
  legend(box("fill=\"" + task_color(3) + "\""), "task (colour = task id)");
  legend(box("fill=\"#e8a0a0\" stroke=\"#c00\""), "lost to a failure");
  legend(box("fill=\"#9e9e9e\""), "duplicate");
  legend(box("fill=\"#ddd\" stroke=\"#c00\" stroke-dasharray=\"4,2\""), "late (after a false failure)");
  legend("<path d=\"M" + f2(lx + 1) + "," + f2(ly) + " L" + f2(lx + 11) + "," + f2(ly + 10) + " M" + f2(lx + 1) + "," + f2(ly + 10) + " L" +
             f2(lx + 11) + "," + f2(ly) + "\" stroke=\"#d00\" stroke-width=\"2.2\"/>",
         "declared failed (timeout)");
  legend("<path d=\"M" + f2(lx + 6) + "," + f2(ly) + " L" + f2(lx + 11) + "," + f2(ly + 10) + " L" + f2(lx + 1) + "," + f2(ly + 10) +
             " Z\" fill=\"#f80\"/>",
         "reassigned");
  legend("<path d=\"M" + f2(lx + 6) + "," + f2(ly) + " L" + f2(lx + 11) + "," + f2(ly + 5) + " L" + f2(lx + 6) + "," + f2(ly + 10) + " L" +
             f2(lx + 1) + "," + f2(ly + 5) + " Z\" fill=\"#2a2\"/>",
         "checkpoint");
  if (has_lab(m, "steal"))
    legend("<path d=\"M" + f2(lx + 1) + "," + f2(ly) + " L" + f2(lx + 7) + "," + f2(ly + 5) + " L" + f2(lx + 1) + "," + f2(ly + 10) +
               "\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>",
           "steal");
  if (has_lab(m, "speculate"))
    legend(box("fill=\"#fff\" stroke=\"#7b3fa0\" stroke-width=\"1.5\""), "speculative copy");
  if (has_lab(m, "lost_race")) legend(box("fill=\"url(#lost-race)\""), "copy that lost the race");
}

}  // namespace

std::string render_gantt_svg(const GanttModel& m, const GanttOptions& o) {
  const Frame f(m, o);
  std::ostringstream s;
  write_header(s, m, o, f);
  write_rows_and_axis(s, f);
  const bool tooltips = m.bars.size() <= 50000;
  s << "<g id=\"bars\">\n";
  for (const auto& b : m.bars) write_bar(s, b, f, tooltips);
  s << "</g>\n<g id=\"marks\">\n";
  for (const auto& k : m.marks) write_mark(s, k, f);
  s << "</g>\n";
  write_legend(s, f, m);
  s << "</svg>\n";
  return s.str();
}

}  // namespace dla
