"""detect_anomaly: the first op whose forward output or backward gradient is not finite raises,
naming the op and the pass; torch's own detect_anomaly is the oracle for the backward cases
(it checks gradients for NaN)."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.autograd
from chainrule import autograd
from chainrule.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from chainrule.errors import AnomalyError, ChainruleError


def test_exported_where_torch_has_it():
    assert chainrule.autograd.detect_anomaly is detect_anomaly
    assert cr.autograd.set_detect_anomaly is set_detect_anomaly


def test_a_nan_born_in_a_forward_names_the_op():
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(
            RuntimeError,
            match="Log's forward returned NaN values in its "
            r"output 0 \(shape \(2,\)\)",
        ):
            x.log()


def test_an_infinity_born_in_a_forward_names_the_op():
    with detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match="Log's forward returned infinite values"):
            cr.tensor([0.0, 1.0]).log()


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
@pytest.mark.filterwarnings("ignore:Error detected in SqrtBackward0")
def test_a_nan_born_in_a_backward_names_the_op_as_torch_does():
    """sqrt(x)·0 at x = 0: every forward value is finite; sqrt's backward gives 0·∞ = NaN."""
    with torch.autograd.detect_anomaly():
        t = torch.tensor([0.0, 4.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="SqrtBackward0' returned nan"):
            (t.sqrt() * 0).sum().backward()
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        loss = (x.sqrt() * 0).sum()
        with pytest.raises(
            RuntimeError, match="Sqrt's backward returned NaN values in its gradient for input 0"
        ):
            loss.backward()


def test_non_finite_data_is_traced_to_where_it_came_in():
    with detect_anomaly():
        with pytest.raises(
            RuntimeError, match="Mul's forward.*its input 0 already held non-finite values"
        ):
            cr.tensor([math.nan, 1.0]) * 2


def test_a_network_whose_weights_blew_up_is_caught_at_the_first_op():
    """An lr so large that a weight overflowed float32: the first op to use it names itself."""
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Tanh(), cr.nn.Linear(4, 2))
    model[2].weight.data[0, 0] = np.float32(3e38)
    x = cr.randn(5, 3)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = (model(x) * 1e10).sum()  # overflows without anomaly detection, silently
        assert not math.isfinite(loss.item())
        with detect_anomaly(), pytest.raises(RuntimeError, match="forward returned infinite"):
            (model(x) * 1e10).sum()


def test_off_by_default_and_restored_on_exit():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
            with np.errstate(divide="ignore"):
                assert cr.tensor([0.0]).log().item() == -math.inf  # no check while off
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()


def test_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), np.errstate(divide="ignore"):
        with detect_anomaly():
            cr.tensor([0.0]).log()
    assert not is_anomaly_enabled()


def test_no_check_runs_while_off(monkeypatch):
    """Off, an op pays one bool test: the checking function is never called."""

    def fail(*args):
        raise AssertionError("checked while anomaly detection is off")

    monkeypatch.setattr(autograd, "_check_finite", fail)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    with detect_anomaly(), pytest.raises(AssertionError, match="checked while"):
        x * x


def test_finite_runs_are_unchanged():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with detect_anomaly():
        (x.exp() * x).sum().backward()
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (t.exp() * t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_the_report_is_a_chainrule_error_and_a_runtime_error():
    x = cr.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"), detect_anomaly(), pytest.raises(AnomalyError) as caught:
        cr.log(x)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ChainruleError)
