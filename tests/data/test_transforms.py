"""Transforms against the same math written in PyTorch, one sample and a batch alike."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import transforms as T


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (5, 7, 6), dtype=np.uint8)


def torch_to_tensor(image):
    """torchvision's ToTensor on an ndarray: HWC -> CHW, uint8 divided by 255."""
    t = torch.from_numpy(image)
    t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
    return t.float().div(255) if image.dtype == np.uint8 else t.float()


def test_to_tensor_grey_sample_and_batch(images):
    single = T.ToTensor()(images[0])
    assert single.shape == (1, 7, 6) and single.dtype == np.float32
    np.testing.assert_array_equal(single, torch_to_tensor(images[0]).numpy())
    batch = T.ToTensor().apply_batch(images)
    assert batch.shape == (5, 1, 7, 6) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[:, 0], torch.from_numpy(images).float().div(255).numpy())


def test_to_tensor_colour_and_float(images):
    colour = images[:3].transpose(1, 2, 0)  # H, W, 3
    np.testing.assert_array_equal(T.ToTensor()(colour), torch_to_tensor(colour).numpy())
    batch = np.stack([colour, colour[::-1]])
    expected = np.stack([torch_to_tensor(c).numpy() for c in batch])
    np.testing.assert_array_equal(T.ToTensor().apply_batch(batch), expected)
    floats = colour.astype(np.float64) / 7
    out = T.ToTensor()(floats)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, torch_to_tensor(floats).numpy())


def test_to_tensor_rejects_wrong_rank():
    with pytest.raises(ValueError, match="ToTensor.*\\(2, 3, 4, 5\\)"):
        T.ToTensor()(np.zeros((2, 3, 4, 5), np.uint8))


def test_normalize_matches_torch_per_channel():
    x = np.random.default_rng(1).random((4, 3, 5, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    expected = (torch.from_numpy(x) - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(
        3, 1, 1
    )
    np.testing.assert_allclose(T.Normalize(mean, std).apply_batch(x), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(T.Normalize(mean, std)(x[2]), expected[2].numpy(), rtol=1e-6)
    assert T.Normalize(mean, std)(x).dtype == np.float32


def test_normalize_checks_channels():
    with pytest.raises(ValueError, match="Normalize.*C = 3"):
        T.Normalize((0, 0, 0), (1, 1, 1))(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="zero"):
        T.Normalize(0.5, 0.0)


def test_compose_batch_equals_samples(images):
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    batch = pipeline.apply_batch(images)
    for i in range(len(images)):
        np.testing.assert_array_equal(batch[i], pipeline(images[i]))
    expected = (torch.from_numpy(images).float().div(255).unsqueeze(1) - 0.1307) / 0.3081
    np.testing.assert_allclose(batch, expected.numpy(), rtol=1e-6, atol=1e-7)


def test_gaussian_noise_statistics_and_seeding():
    x = np.full((200, 1, 10, 10), 0.5, np.float32)
    noise = T.GaussianNoise(0.3)
    cr.manual_seed(7)
    first = noise.apply_batch(x)
    cr.manual_seed(7)
    again = noise.apply_batch(x)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.float32 and np.all(x == 0.5)
    assert (first - 0.5).mean() == pytest.approx(0.0, abs=0.01)
    assert (first - 0.5).std() == pytest.approx(0.3, rel=0.02)
    assert not np.array_equal(first[0], first[1])  # every sample gets its own noise
    with pytest.raises(TypeError, match="ToTensor"):
        noise(np.zeros((2, 2), np.uint8))


def test_lambda_per_sample_or_batched(images):
    flatten = T.Lambda(lambda image: image.reshape(-1))
    assert flatten(images[0]).shape == (42,)
    assert flatten.apply_batch(images).shape == (5, 42)
    double = T.Lambda(lambda x: x * 2, batched=True)
    np.testing.assert_array_equal(double.apply_batch(images.astype(int)), images.astype(int) * 2)
