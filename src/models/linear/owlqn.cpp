#include "tessera/models/linear/owlqn.h"

#include <cmath>
#include <deque>

namespace tessera::models::linear {

namespace {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double Sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

// The steepest-descent direction's negative for F at x: the gradient where F is differentiable,
// and the one-sided derivative of least magnitude (or 0) at x_i = 0.
void PseudoGradient(const std::vector<double>& x, const std::vector<double>& g, const std::vector<double>& l1,
                    std::vector<double>* pg) {
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = l1.empty() ? 0.0 : l1[i];
    if (c == 0) (*pg)[i] = g[i];
    else if (x[i] > 0) (*pg)[i] = g[i] + c;
    else if (x[i] < 0) (*pg)[i] = g[i] - c;
    else if (g[i] + c < 0) (*pg)[i] = g[i] + c;
    else if (g[i] - c > 0) (*pg)[i] = g[i] - c;
    else (*pg)[i] = 0;
  }
}

double L1Term(const std::vector<double>& x, const std::vector<double>& l1) {
  double s = 0;
  for (size_t i = 0; i < l1.size(); ++i) s += l1[i] * std::fabs(x[i]);
  return s;
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double e : v) m = std::max(m, std::fabs(e));
  return m;
}

}  // namespace

OwlqnResult MinimizeOwlqn(const std::function<double(const std::vector<double>& x, std::vector<double>* grad)>& f,
                          const std::vector<double>& l1, std::vector<double>* x_io, const OwlqnOptions& options) {
  std::vector<double>& x = *x_io;
  const size_t n = x.size();
  std::vector<double> g(n), pg(n), d(n), x_new(n), g_new(n), q(n);
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  double fx = f(x, &g);
  double F = fx + L1Term(x, l1);
  OwlqnResult result;
  int stalled = 0;
  for (int it = 0; it < options.max_iterations; ++it) {
    if (options.should_stop && options.should_stop()) break;
    PseudoGradient(x, g, l1, &pg);
    if (MaxAbs(pg) <= options.gradient_tolerance) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: d = -H pg.
    q = pg;
    const size_t m = s_hist.size();
    std::vector<double> alpha(m);
    for (size_t k = m; k-- > 0;) {
      alpha[k] = rho_hist[k] * Dot(s_hist[k], q);
      for (size_t i = 0; i < n; ++i) q[i] -= alpha[k] * y_hist[k][i];
    }
    double gamma = m > 0 ? Dot(s_hist[m - 1], y_hist[m - 1]) / Dot(y_hist[m - 1], y_hist[m - 1]) : 1.0 / std::sqrt(Dot(pg, pg));
    for (size_t i = 0; i < n; ++i) q[i] *= gamma;
    for (size_t k = 0; k < m; ++k) {
      const double beta = rho_hist[k] * Dot(y_hist[k], q);
      for (size_t i = 0; i < n; ++i) q[i] += s_hist[k][i] * (alpha[k] - beta);
    }
    for (size_t i = 0; i < n; ++i) {
      d[i] = -q[i];
      if (!l1.empty() && d[i] * pg[i] >= 0) d[i] = 0;  // keep to the orthant the pseudo-gradient points away from
    }
    double slope = Dot(d, pg);
    if (!(slope < 0)) {  // not a descent direction (curvature pairs gone bad): restart from steepest descent
      s_hist.clear(), y_hist.clear(), rho_hist.clear();
      const double scale = 1.0 / std::sqrt(Dot(pg, pg));
      for (size_t i = 0; i < n; ++i) d[i] = -pg[i] * scale;
      slope = Dot(d, pg);
    }
    // Backtracking line search on the orthant-projected step.
    double step = 1.0, F_new = F, fx_new = fx;
    bool moved = false;
    for (int tries = 0; tries < 60; ++tries) {
      for (size_t i = 0; i < n; ++i) {
        x_new[i] = x[i] + step * d[i];
        if (!l1.empty() && l1[i] > 0) {
          const double orthant = x[i] != 0 ? Sign(x[i]) : -Sign(pg[i]);
          if (Sign(x_new[i]) != orthant) x_new[i] = 0;
        }
      }
      fx_new = f(x_new, &g_new);
      F_new = fx_new + L1Term(x_new, l1);
      double decrease = 0;
      for (size_t i = 0; i < n; ++i) decrease += pg[i] * (x_new[i] - x[i]);
      if (F_new <= F + 1e-4 * decrease) {
        moved = true;
        break;
      }
      step *= 0.5;
    }
    result.iterations = it + 1;
    if (!moved) {  // no decrease left at this precision: converged unless the gradient is still large
      result.converged = MaxAbs(pg) <= std::max(options.gradient_tolerance, 1e-6);
      break;
    }
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) s[i] = x_new[i] - x[i], y[i] = g_new[i] - g[i];
    const double sy = Dot(s, y);
    if (sy > 1e-300) {
      s_hist.push_back(std::move(s)), y_hist.push_back(std::move(y)), rho_hist.push_back(1.0 / sy);
      if (static_cast<int>(s_hist.size()) > options.memory) s_hist.pop_front(), y_hist.pop_front(), rho_hist.pop_front();
    }
    stalled = (F - F_new) <= 1e-16 * std::max(1.0, std::fabs(F)) ? stalled + 1 : 0;
    x.swap(x_new), g.swap(g_new);
    fx = fx_new, F = F_new;
    if (stalled >= 5) {  // F no longer decreases beyond rounding (scipy's L-BFGS-B "REL_REDUCTION_OF_F")
      result.converged = true;
      break;
    }
  }
  result.objective = F;
  return result;
}

}  // namespace tessera::models::linear
