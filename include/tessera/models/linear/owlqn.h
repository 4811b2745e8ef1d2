// OWL-QN (Andrew & Gao, "Scalable training of L1-regularized log-linear models", 2007): a
// limited-memory quasi-Newton minimiser of F(x) = f(x) + sum_i l1[i] |x_i| for a smooth convex f.
// With every l1[i] = 0 it is plain L-BFGS with a backtracking (Armijo) line search. Used for
// logistic and multinomial regression with L2, L1 or elastic-net penalties. Deterministic: the
// same f gives the same iterates.
#pragma once

#include <functional>
#include <vector>

namespace tessera::models::linear {

struct OwlqnOptions {
  int max_iterations = 1000;
  int memory = 10;                 // correction pairs kept
  double gradient_tolerance = 1e-8;  // stop when max |pseudo-gradient| falls below this
  // Asked before every iteration; true ends the minimisation at the current point (a time budget).
  std::function<bool()> should_stop;
};

struct OwlqnResult {
  int iterations = 0;
  // The gradient tolerance was met, or F stopped decreasing beyond rounding (what scipy's L-BFGS-B
  // also reports as convergence); false at the iteration limit.
  bool converged = false;
  double objective = 0;    // F at the solution
};

// f(x, grad) returns f at x and writes its gradient. `x` holds the starting point and receives
// the solution. `l1` is empty (no L1 term) or one weight >= 0 per coordinate.
OwlqnResult MinimizeOwlqn(const std::function<double(const std::vector<double>& x, std::vector<double>* grad)>& f,
                          const std::vector<double>& l1, std::vector<double>* x, const OwlqnOptions& options);

}  // namespace tessera::models::linear
