"""The convolutional autoencoder against reproductions/autoencoder.py's PyTorch twin with the
same weights (float64): the reconstruction, the code and every parameter gradient, for both
decoders, with and without the 2-unit bottleneck; and the denoising corruption (train mode only,
the two noise kinds)."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.models.autoencoder import ConvAutoencoder
from tests.reproductions.conftest import load_script

# the PyTorch twin the reproduction trains, so the test and the reproduction hold one network
TWIN = load_script("autoencoder")


def _twins(decoder, latent):
    cr.manual_seed(0)
    ours = ConvAutoencoder(decoder, latent).to(dtype=cr.float64)
    theirs = TWIN.torch_autoencoder(decoder, latent).double()
    state = {TWIN._torch_name(k): torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    return ours, theirs


@pytest.mark.parametrize("decoder", ["transpose", "upsample"])
@pytest.mark.parametrize("latent", [None, 2])
def test_forward_and_gradients_equal_torch(decoder, latent):
    ours, theirs = _twins(decoder, latent)
    images = np.random.default_rng(1).random((3, 1, 28, 28))
    x = cr.tensor(images)
    output = ours(x)
    loss = ours.loss(output, x)
    loss.backward()
    expected_output = theirs(torch.from_numpy(images))
    expected_loss = torch.nn.functional.mse_loss(expected_output, torch.from_numpy(images))
    expected_loss.backward()
    np.testing.assert_allclose(output.data, expected_output.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(loss.item(), expected_loss.item(), rtol=1e-10)
    gradients = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        expected = gradients[TWIN._torch_name(name)].grad.numpy()
        np.testing.assert_allclose(
            parameter.grad.numpy(), expected, rtol=1e-8, atol=1e-12, err_msg=name
        )


def test_bottleneck_code_has_latent_numbers():
    model = ConvAutoencoder("upsample", latent=2)
    assert model.encode(cr.zeros(5, 1, 28, 28)).shape == (5, 2)
    assert ConvAutoencoder().encode(cr.zeros(5, 1, 28, 28)).shape == (5, 32, 7, 7)


def test_gaussian_noise_only_while_training():
    cr.manual_seed(0)
    model = ConvAutoencoder(noise=0.5)
    x = cr.zeros(200, 1, 28, 28)
    noisy = model.corrupt(x).data
    assert abs(noisy.std() - 0.5) < 0.01 and abs(noisy.mean()) < 0.01
    model.eval()
    clean_model = ConvAutoencoder(noise=0.0)
    clean_model.load_state_dict(model.state_dict())
    clean_model.eval()
    np.testing.assert_array_equal(model(x).data, clean_model(x).data)


def test_masking_noise_zeroes_that_fraction_of_pixels():
    cr.manual_seed(0)
    model = ConvAutoencoder(noise=0.3, noise_kind="mask")
    masked = model.corrupt(cr.ones(200, 1, 28, 28)).data
    assert set(np.unique(masked)) == {0.0, 1.0}
    assert abs((masked == 0).mean() - 0.3) < 0.01


def test_unknown_decoder_is_refused():
    with pytest.raises(ValueError, match="transpose, upsample"):
        ConvAutoencoder("bilinear")
