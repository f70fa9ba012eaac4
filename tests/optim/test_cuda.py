"""The same updates on CuPy arrays as on NumPy ones (skipped where no GPU is present)."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

from .problem import chainrule_params, hand_gradients, initial_weights, step_chainrule
from .test_optimizers import CONFIGS, IDS

pytestmark = pytest.mark.skipif(not cr.cuda_is_available(), reason="needs CuPy and a GPU")


def cuda_params(weights):
    return [cr.tensor(w, device="cuda", requires_grad=True) for w in weights]


def step_cuda(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        for p, g in zip(params, hand_gradients(*(p.numpy() for p in params))):
            p.grad = cr.tensor(g, device="cuda")
        optimizer.step()


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_cuda_steps_equal_cpu_steps(name, kwargs):
    cpu, gpu = chainrule_params(initial_weights()), cuda_params(initial_weights())
    step_chainrule(getattr(optim, name)(cpu, **kwargs), cpu, 10)
    gpu_optimizer = getattr(optim, name)(gpu, **kwargs)
    step_cuda(gpu_optimizer, gpu, 5)
    resumed = cuda_params([p.numpy() for p in gpu])
    resumed_optimizer = getattr(optim, name)(resumed, **kwargs)
    resumed_optimizer.load_state_dict(gpu_optimizer.state_dict())
    step_cuda(resumed_optimizer, resumed, 5)
    for a, b in zip(resumed, cpu):
        assert a.device == "cuda"
        np.testing.assert_allclose(a.numpy(), b.data, rtol=1e-10, atol=1e-12)


def test_cuda_clipping_equals_cpu():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((4, 3)), rng.standard_normal(5)]
    totals, clipped = [], []
    for device in ("cpu", "cuda"):
        params = [cr.tensor(np.zeros(g.shape), device=device, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = cr.tensor(g, device=device)
        totals.append(optim.clip_grad_norm_(params, 0.5, norm_type=3.0).item())
        optim.clip_grad_value_(params, 0.1)
        clipped.append([p.grad.numpy() for p in params])
    assert totals[0] == pytest.approx(totals[1], rel=1e-12)
    for a, b in zip(*clipped):
        np.testing.assert_allclose(a, b, rtol=1e-12)
