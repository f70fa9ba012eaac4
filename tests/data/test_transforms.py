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


def _window_offsets(crops, images, padding):
    """For each crop, the (top, left) of the window of the zero-padded image (padded by torch)
    that it equals, or None."""
    padded = torch.nn.functional.pad(torch.from_numpy(images), (padding,) * 4).numpy()
    height, width = crops.shape[-2:]
    offsets = []
    for crop, image in zip(crops, padded):
        matches = [
            (top, left)
            for top in range(image.shape[-2] - height + 1)
            for left in range(image.shape[-1] - width + 1)
            if np.array_equal(image[..., top : top + height, left : left + width], crop)
        ]
        offsets.append(matches[0] if len(matches) == 1 else None)
    return offsets


def test_random_crop_is_a_window_of_the_zero_padded_image():
    images = np.random.default_rng(1).random((200, 3, 6, 5)).astype(np.float32) + 1
    cr.manual_seed(0)
    crops = T.RandomCrop((4, 5), padding=1).apply_batch(images)
    assert crops.shape == (200, 3, 4, 5) and crops.dtype == np.float32
    offsets = _window_offsets(crops, images, padding=1)
    assert None not in offsets
    assert set(offsets) == {(top, left) for top in range(5) for left in range(3)}


def test_random_crop_of_one_sample_and_of_grey_images():
    image = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4)
    cr.manual_seed(3)
    crop = T.RandomCrop(4, padding=2)(image)
    assert crop.shape == (1, 4, 4) and _window_offsets(crop[None], image[None], 2)[0] is not None
    grey = np.random.default_rng(2).random((10, 8, 8))
    assert T.RandomCrop(8, padding=4).apply_batch(grey).shape == (10, 8, 8)
    with pytest.raises(ValueError, match="does not fit"):
        T.RandomCrop(12, padding=1)(image)


@pytest.mark.parametrize(
    "transform", [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()], ids=repr
)
def test_random_transforms_repeat_under_the_same_seed(transform):
    images = np.random.default_rng(0).random((16, 3, 32, 32)).astype(np.float32)
    cr.manual_seed(7)
    first = transform.apply_batch(images)
    cr.manual_seed(7)
    np.testing.assert_array_equal(transform.apply_batch(images), first)
    assert not np.array_equal(transform.apply_batch(images), first)


def test_horizontal_flip_mirrors_the_last_axis_for_a_share_p_of_the_images():
    images = np.random.default_rng(0).random((1000, 2, 3, 4))
    cr.manual_seed(0)
    out = T.RandomHorizontalFlip(p=0.3).apply_batch(images)
    mirrored = torch.flip(torch.from_numpy(images), dims=[-1]).numpy()
    flipped = np.array([np.array_equal(o, m) for o, m in zip(out, mirrored)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, images)])
    assert np.all(flipped ^ kept)
    assert 0.25 < flipped.mean() < 0.35
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(images[0]), mirrored[0])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0).apply_batch(images), images)
