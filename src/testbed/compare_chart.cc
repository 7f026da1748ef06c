// compare.h: the SVG bar chart of a comparison. One panel per scenario (its own time scale), one
// bar per policy (makespan; a run without result has no bar), the lower bound as a dashed line
// across the panel, the ratio above each bar. Policies keep their colour across panels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "testbed/compare.h"

namespace dla::scen {
namespace {

std::string f2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string g3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

std::string policy_color(int i) {
  static const char* pal[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return pal[i % 10];
}

double nice_top(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

struct Panel {
  std::string scenario;
  std::vector<const RunMetrics*> runs;
};

constexpr double kPanelH = 220, kTop = 30, kBottom = 58, kLeft = 46;

void write_panel(std::ostringstream& s, const Panel& p, double x0, double y0, double w,
                 const std::map<std::string, int>& color_of) {
  double top = 0, bound = -1;
  for (const auto* m : p.runs) {
    top = std::max({top, m->makespan, m->lower_bound});
    if (m->lower_bound > 0) bound = m->lower_bound;
  }
  top = nice_top(top);
  const double ph = kPanelH - kTop - kBottom, pw = w - kLeft - 10;
  auto Y = [&](double v) { return y0 + kTop + ph * (1 - v / top); };
  s << "<g class=\"panel\">\n<text x=\"" << f2(x0 + kLeft) << "\" y=\"" << f2(y0 + 16) << "\" font-weight=\"bold\">" << esc(p.scenario)
    << "</text>\n";
  for (int k = 0; k <= 4; ++k) {
    const double v = top * k / 4;
    s << "<line x1=\"" << f2(x0 + kLeft) << "\" y1=\"" << f2(Y(v)) << "\" x2=\"" << f2(x0 + kLeft + pw) << "\" y2=\"" << f2(Y(v))
      << "\" stroke=\"#ddd\"/><text x=\"" << f2(x0 + kLeft - 4) << "\" y=\"" << f2(Y(v) + 4) << "\" text-anchor=\"end\" font-size=\"9\">"
      << g3(v) << "</text>\n";
  }
  const double slot = pw / static_cast<double>(std::max<std::size_t>(1, p.runs.size()));
  for (std::size_t i = 0; i < p.runs.size(); ++i) {
    const RunMetrics& m = *p.runs[i];
    const double bx = x0 + kLeft + slot * static_cast<double>(i) + slot * 0.15, bw = slot * 0.7;
    if (m.makespan >= 0)
      s << "<rect class=\"bar\" x=\"" << f2(bx) << "\" y=\"" << f2(Y(m.makespan)) << "\" width=\"" << f2(bw) << "\" height=\""
        << f2(Y(0) - Y(m.makespan)) << "\" fill=\"" << policy_color(color_of.at(m.policy)) << "\"><title>" << esc(m.policy) << ": "
        << g3(m.makespan) << " s, ratio " << g3(m.ratio) << "</title></rect>\n<text x=\"" << f2(bx + bw / 2) << "\" y=\""
        << f2(Y(m.makespan) - 3) << "\" text-anchor=\"middle\" font-size=\"9\">" << (m.ratio > 0 ? g3(m.ratio) + "x" : "") << "</text>\n";
    s << "<text transform=\"translate(" << f2(bx + bw / 2 + 3) << "," << f2(Y(0) + 6) << ") rotate(40)\" font-size=\"9\">"
      << esc(m.policy) << "</text>\n";
  }
  if (bound > 0)
    s << "<line class=\"bound\" x1=\"" << f2(x0 + kLeft) << "\" y1=\"" << f2(Y(bound)) << "\" x2=\"" << f2(x0 + kLeft + pw) << "\" y2=\""
      << f2(Y(bound)) << "\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"6,3\"><title>lower bound " << g3(bound)
      << " s</title></line>\n";
  s << "</g>\n";
}

}  // namespace

std::string compare_chart_svg(const std::vector<RunMetrics>& runs, const std::string& title) {
  std::vector<Panel> panels;
  std::map<std::string, int> color_of;
  for (const auto& m : runs) {
    if (panels.empty() || panels.back().scenario != m.scenario) panels.push_back({m.scenario, {}});
    panels.back().runs.push_back(&m);
    color_of.emplace(m.policy, static_cast<int>(color_of.size()));
  }
  std::size_t most = 1;
  for (const auto& p : panels) most = std::max(most, p.runs.size());
  const double w = std::max(260.0, kLeft + 10 + 34.0 * static_cast<double>(most));
  const int cols = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(panels.size(), 3)));
  const int rows = static_cast<int>((panels.size() + static_cast<std::size_t>(cols) - 1) / static_cast<std::size_t>(cols));
  const double width = w * cols + 20, height = 50 + kPanelH * std::max(rows, 1) + 10;
  std::ostringstream s;
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f2(width)
    << "\" height=\"" << f2(height) << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">"
    << esc(title) << "</text>\n<text x=\"10\" y=\"38\">makespan (simulated s) per policy; dashed: lower bound; "
    << "above each bar: makespan / bound</text>\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const double x0 = 10 + w * static_cast<double>(i % static_cast<std::size_t>(cols));
    const double y0 = 46 + kPanelH * static_cast<double>(i / static_cast<std::size_t>(cols));
    write_panel(s, panels[i], x0, y0, w, color_of);
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace dla::scen
