"""Rosenbrock in torch, for the benchmarks' torch.optim reference (imported by the bench_*.py scripts)."""


def rosenbrock(torch):
    """Value and analytic gradient of f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 on a (K, 2) float64 tensor.

    The analytic gradient written into ``p.grad`` is the strongest reference torch.optim can be given; the
    benchmarks time autograd (``f(p).sum().backward()``) too, the way torch is usually used.
    """
    torch.set_default_dtype(torch.float64)

    def value(p):
        x, y = p[:, 0], p[:, 1]
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    def grad(p):
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        g = torch.empty_like(p)
        g[:, 1] = 200.0 * r
        g[:, 0] = 2.0 * (x - 1.0 - 200.0 * x * r)
        return g

    return value, grad
