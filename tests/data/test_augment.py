"""Distortions against independent oracles: scipy.ndimage (affine_transform, gaussian_filter),
torch's affine_grid + grid_sample, and np.roll with zero fill."""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

ndimage = pytest.importorskip("scipy.ndimage")

import chainrule as cr  # noqa: E402
from chainrule.data import MNIST, DataLoader, Subset  # noqa: E402
from chainrule.data import augment as A  # noqa: E402
from chainrule.data import transforms as T  # noqa: E402


@pytest.fixture
def images():
    return np.random.default_rng(0).random((4, 2, 11, 9))


def identity_parameters(n):
    return dict(
        translation=np.zeros((n, 2)), scale=np.ones(n), squeeze=np.zeros(n), shear=np.zeros(n)
    )


def roll_with_zeros(image, down, right):
    """``image`` shifted down and right by whole pixels, zeros moving in."""
    out = np.roll(image, (down, right), axis=(-2, -1))
    if down > 0:
        out[..., :down, :] = 0
    elif down < 0:
        out[..., down:, :] = 0
    if right > 0:
        out[..., :, :right] = 0
    elif right < 0:
        out[..., :, right:] = 0
    return out


def test_identity_parameters_reproduce_the_input_exactly(images):
    for batch in (images, images.astype(np.float32), (images * 255).astype(np.uint8)):
        out = A.distort(batch, **identity_parameters(len(batch)))
        assert out.dtype == batch.dtype and out.shape == batch.shape
        np.testing.assert_array_equal(out, batch)


def test_integer_translation_is_a_roll_with_zero_fill(images):
    shifts = [(2, -1), (-3, 0), (0, 4), (1, 1)]  # (right, down) per image
    params = identity_parameters(len(images))
    params["translation"] = np.array(shifts, dtype=float)
    out = A.distort(images, **params)
    for image, result, (right, down) in zip(images, out, shifts):
        np.testing.assert_array_equal(result, roll_with_zeros(image, down, right))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_affine_transform_matches_scipy(images, dtype):
    rng = np.random.default_rng(1)
    matrices = np.eye(2) + rng.uniform(-0.3, 0.3, (len(images), 2, 2))
    offsets = rng.uniform(-2, 2, (len(images), 2))
    out = A.affine_transform(images.astype(dtype), matrices, offsets)
    assert out.dtype == dtype
    for n, image in enumerate(images):
        for c, plane in enumerate(image):
            expected = ndimage.affine_transform(
                plane, matrices[n], offsets[n], order=1, mode="grid-constant", cval=0.0
            )
            np.testing.assert_allclose(
                out[n, c], expected, rtol=0, atol=1e-12 if dtype == np.float64 else 1e-5
            )


def torch_distort(images, translation, scale, squeeze, shear):
    """The forward map p' = S (p - c) + c + t written with torch's affine_grid/grid_sample
    (align_corners=True: pixel centres at -1 and 1, so centred pixel coordinates scale by
    (size - 1) / 2)."""
    n, _, height, width = images.shape
    sx, sy = scale * (1 + squeeze), scale / (1 + squeeze)
    forward = np.zeros((n, 2, 2))
    forward[:, 0, 0], forward[:, 0, 1], forward[:, 1, 1] = sx, shear * sy, sy
    inverse = np.linalg.inv(forward)  # output (x, y) -> input (x, y), centred pixels
    half = np.array([(width - 1) / 2, (height - 1) / 2])
    theta = np.zeros((n, 2, 3))
    theta[:, :, :2] = inverse * half[None, None, :] / half[None, :, None]
    theta[:, :, 2] = -np.einsum("nij,nj->ni", inverse, translation) / half
    grid = tF.affine_grid(torch.from_numpy(theta), list(images.shape), align_corners=True)
    return tF.grid_sample(
        torch.from_numpy(images), grid, mode="bilinear", padding_mode="zeros", align_corners=True
    ).numpy()


def test_scale_squeeze_shear_translation_match_torch_grid_sample(images):
    params = dict(
        translation=np.array([[0.5, -1.25], [0, 0], [1.7, 0.3], [-2, 2]]),
        scale=np.array([1.1, 0.9, 1.0, 1.05]),
        squeeze=np.array([0.0, 0.1, -0.1, 0.05]),
        shear=np.array([0.0, 0.15, -0.15, 0.1]),
    )
    out = A.distort(images, **params)
    np.testing.assert_allclose(out, torch_distort(images, **params), rtol=0, atol=1e-12)


def test_a_pure_scale_about_the_centre_matches_scipy_zoom_by_matrix():
    image = np.random.default_rng(2).random((1, 13, 13))
    params = identity_parameters(1)
    params["scale"] = np.array([1.25])
    centre = np.array([6.0, 6.0])
    matrix = np.eye(2) / 1.25
    expected = ndimage.affine_transform(
        image[0], matrix, centre - matrix @ centre, order=1, mode="grid-constant"
    )
    np.testing.assert_allclose(A.distort(image, **params)[0], expected, atol=1e-12)


def test_gaussian_smooth_matches_scipy_gaussian_filter():
    fields = np.random.default_rng(3).uniform(-1, 1, (2, 3, 28, 20))
    for sigma in (0.8, 4.0):
        expected = ndimage.gaussian_filter(fields, sigma=(0, 0, sigma, sigma), mode="constant")
        np.testing.assert_allclose(A.gaussian_smooth(fields, sigma), expected, atol=1e-12)


def test_elastic_with_zero_strength_is_the_identity(images):
    transform = A.RandomDistortion(translate=0, scale=(1, 1), squeeze=0, shear=0, elastic_alpha=0.0)
    np.testing.assert_array_equal(transform.apply_batch(images), images)
    zero_field = np.zeros((2, *images.shape[:1], *images.shape[-2:]))
    np.testing.assert_array_equal(
        A.distort(images, **identity_parameters(len(images)), displacement=zero_field), images
    )


def test_a_constant_displacement_field_is_a_translation(images):
    field = np.zeros((2, len(images), *images.shape[-2:]))
    field[0], field[1] = -2, 3  # read 2 rows up and 3 columns right: move down 2, left 3
    out = A.distort(images, **identity_parameters(len(images)), displacement=field)
    np.testing.assert_array_equal(out, roll_with_zeros(images, 2, -3))


@pytest.mark.parametrize("elastic_alpha", [0.0, 34.0])
def test_shape_dtype_and_seeded_reproducibility(elastic_alpha):
    digits = np.random.default_rng(4).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    transform = A.RandomDistortion(elastic_alpha=elastic_alpha)
    for batch in (digits, T.ToTensor().apply_batch(digits)):
        cr.manual_seed(7)
        first = transform.apply_batch(batch)
        cr.manual_seed(7)
        second = transform.apply_batch(batch)
        assert first.shape == batch.shape and first.dtype == batch.dtype
        np.testing.assert_array_equal(first, second)
        assert not np.array_equal(first, batch)
        same = transform.apply_batch(batch[:1].repeat(2, axis=0))
        assert not np.array_equal(same[0], same[1])  # each image draws its own distortion
    one = transform(digits[0])
    assert one.shape == (28, 28) and one.dtype == np.uint8


def test_random_parameters_stay_in_their_ranges(monkeypatch):
    seen = {}

    def record(images, **params):
        seen.update(params)
        return images

    monkeypatch.setattr(A, "distort", record)
    A.RandomDistortion(translate=2, scale=(0.9, 1.1), squeeze=0.1, shear=0.15).apply_batch(
        np.zeros((2000, 1, 28, 28), dtype=np.float32)
    )
    for name, low, high in (
        ("translation", -2, 2),
        ("scale", 0.9, 1.1),
        ("squeeze", -0.1, 0.1),
        ("shear", -0.15, 0.15),
    ):
        values = seen[name]
        assert values.dtype == np.float32
        assert low <= values.min() < low + 0.05 * (high - low)
        assert high - 0.05 * (high - low) < values.max() <= high


def test_distortion_keeps_a_digit_in_its_frame_and_its_ink(mnist_test):
    digits = T.ToTensor().apply_batch(mnist_test.data[:256])
    cr.manual_seed(0)
    out = A.RandomDistortion().apply_batch(digits)
    ink_before, ink_after = digits.sum(axis=(1, 2, 3)), out.sum(axis=(1, 2, 3))
    ratio = ink_after / ink_before  # area scales by s² ∈ [0.81, 1.21]; nothing is cut off
    assert 0.75 < ratio.min() and ratio.max() < 1.3


def test_mnist_dataloader_fast_path_distorts_each_batch(data_root):
    transform = T.Compose([T.ToTensor(), A.RandomDistortion()])
    mnist = MNIST(data_root, train=False, transform=transform)
    loader = DataLoader(Subset(mnist, np.arange(10)), batch_size=4)
    cr.manual_seed(0)
    batches = [x.data for x, _ in loader]
    assert [b.shape for b in batches] == [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)]
    assert batches[0].dtype == np.float32
    clean = T.ToTensor().apply_batch(mnist.data[:4])
    assert not np.array_equal(batches[0], clean)
    cr.manual_seed(0)
    np.testing.assert_array_equal(next(iter(loader))[0].data, batches[0])


def test_bad_arguments_name_the_transform():
    with pytest.raises(ValueError, match="RandomDistortion"):
        A.RandomDistortion(scale=(1.1, 0.9))
    with pytest.raises(ValueError, match="RandomDistortion"):
        A.RandomDistortion().apply_batch(np.zeros((28, 28)))


def test_cupy_batches_match_numpy():
    from chainrule import backend

    if not backend.cuda_is_available():
        pytest.skip("no GPU (CuPy with a CUDA device)")
    cupy = backend.cupy
    digits = np.random.default_rng(6).integers(0, 256, (5, 1, 28, 28), dtype=np.uint8)
    rng = np.random.default_rng(7)
    params = dict(
        translation=rng.uniform(-2, 2, (5, 2)),
        scale=rng.uniform(0.9, 1.1, 5),
        squeeze=rng.uniform(-0.1, 0.1, 5),
        shear=rng.uniform(-0.15, 0.15, 5),
        displacement=A.gaussian_smooth(rng.uniform(-1, 1, (2, 5, 28, 28)), 4.0) * 34,
    )
    for batch in (digits, digits.astype(np.float32) / 255):
        expected = A.distort(batch, **params)
        on_gpu = A.distort(cupy.asarray(batch), **{k: cupy.asarray(v) for k, v in params.items()})
        assert isinstance(on_gpu, cupy.ndarray) and on_gpu.dtype == batch.dtype
        tolerance = 1 if batch.dtype == np.uint8 else 1e-5  # uint8: rounding may differ by 1
        np.testing.assert_allclose(cupy.asnumpy(on_gpu), expected, atol=tolerance)
    out = A.RandomDistortion(elastic_alpha=34.0).apply_batch(cupy.asarray(digits))
    assert isinstance(out, cupy.ndarray) and out.shape == digits.shape
