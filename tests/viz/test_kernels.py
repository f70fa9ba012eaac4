"""Classic kernels: responses against scipy.ndimage.correlate and torch's conv2d; the figure."""

import io
import zipfile

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from chainrule.viz import kernels

ndimage = pytest.importorskip("scipy.ndimage")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def photo():
    return np.random.default_rng(0).random((13, 17, 3))


def test_deck_001_kernels_are_the_decks_matrices():
    k = kernels.CLASSIC_KERNELS
    assert k["edge (Laplacian 8)"] == [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
    assert k["sharpen"] == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    np.testing.assert_allclose(np.sum(k["Gaussian blur"]), 1)
    np.testing.assert_allclose(np.sum(k["box blur"]), 1)


def test_responses_equal_scipy_correlate_with_replicated_border(photo):
    grey = kernels.to_grey(photo)
    responses = kernels.apply_kernels(grey)
    assert responses.shape == (len(kernels.CLASSIC_KERNELS), 13, 17)
    for response, kernel in zip(responses, kernels.CLASSIC_KERNELS.values()):
        expected = ndimage.correlate(grey, np.asarray(kernel, dtype=float), mode="nearest")
        np.testing.assert_allclose(response, expected, atol=1e-12)


def test_responses_equal_torch_conv2d(photo):
    grey = kernels.to_grey(photo)
    weight = torch.tensor(list(kernels.CLASSIC_KERNELS.values()), dtype=torch.float64)[:, None]
    padded = tF.pad(torch.from_numpy(grey)[None, None], (1, 1, 1, 1), mode="replicate")
    expected = tF.conv2d(padded, weight)[0].numpy()
    np.testing.assert_allclose(kernels.apply_kernels(grey), expected, atol=1e-12)


def test_grey_is_bt601_luma(photo):
    expected = 0.299 * photo[..., 0] + 0.587 * photo[..., 1] + 0.114 * photo[..., 2]
    np.testing.assert_allclose(kernels.to_grey(photo), expected)
    np.testing.assert_array_equal(kernels.to_grey(expected), expected)


def test_read_image_from_a_file_and_from_a_zip_member(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    (tmp_path / "a.png").write_bytes(buffer.getvalue())
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        archive.writestr("test/a.png", buffer.getvalue())
    np.testing.assert_array_equal(kernels.read_image(tmp_path / "a.png"), pixels / 255)
    np.testing.assert_array_equal(
        kernels.read_image(f"{tmp_path / 'set.zip'}:test/a.png"), pixels / 255
    )
    with pytest.raises(FileNotFoundError, match="no member"):
        kernels.read_image(f"{tmp_path / 'set.zip'}:test/b.png")


def test_figure_is_a_png_of_the_expected_size(tmp_path, photo, assert_png):
    path = tmp_path / "k.png"
    responses = kernels.plot_classic_kernels(photo, path)
    assert_png(path, (2.3 * 5, 3.3 * 2))
    np.testing.assert_allclose(responses, kernels.apply_kernels(kernels.to_grey(photo)))
