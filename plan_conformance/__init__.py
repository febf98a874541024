"""plan-conformance: the conformance suites as a package, and `plan-conformance run`.

The suites live in `plan_conformance.scenarios`; the pytest plugin that runs them is
`harness.plugin` (a `pytest11` entry point, so any pytest in an environment where this
package is installed has the harness's options).
"""
