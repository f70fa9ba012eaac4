"""ImageFolder on a tiny folder of generated PNGs: torchvision's classes, class_to_idx and
samples, RGB images with the pixels written, transforms, and clear errors for empty folders."""

import numpy as np
import pytest
from PIL import Image

from chainrule.data import DataLoader, ImageFolder, transforms
from chainrule.data.folder import ImageFormatError
from chainrule.errors import ChainruleError, DatasetNotFoundError


def _pixels(seed, size=(5, 4)):
    return np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)


def _save(path, pixels, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).convert(mode).save(path)


@pytest.fixture
def folder(tmp_path):
    """dogs/b.png, dogs/a.png, cats/x.png (greyscale), cats/notes.txt, cats/deep/y.png."""
    root = tmp_path / "pets"
    _save(root / "dogs" / "b.png", _pixels(1))
    _save(root / "dogs" / "a.png", _pixels(2))
    _save(root / "cats" / "x.png", _pixels(3), mode="L")
    _save(root / "cats" / "deep" / "y.png", _pixels(4))
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def test_classes_and_samples_are_sorted_as_torchvisions(folder):
    dataset = ImageFolder(folder)
    assert dataset.classes == ["cats", "dogs"]
    assert dataset.class_to_idx == {"cats": 0, "dogs": 1}
    assert dataset.samples == [
        (str(folder / "cats" / "deep" / "y.png"), 0),
        (str(folder / "cats" / "x.png"), 0),
        (str(folder / "dogs" / "a.png"), 1),
        (str(folder / "dogs" / "b.png"), 1),
    ]
    assert dataset.targets == [0, 0, 1, 1] and len(dataset) == 4


def test_images_are_rgb_with_the_pixels_written(folder):
    dataset = ImageFolder(folder)
    image, label = dataset[2]
    assert label == 1 and image.dtype == np.uint8
    np.testing.assert_array_equal(image, _pixels(2))
    grey, _ = dataset[1]
    assert grey.shape == (5, 4, 3)
    expected = np.asarray(Image.fromarray(_pixels(3)).convert("L"))
    for channel in range(3):
        np.testing.assert_array_equal(grey[..., channel], expected)


def test_the_transform_is_applied_and_a_dataloader_batches_it(folder):
    dataset = ImageFolder(folder, transform=transforms.ToTensor())
    image, _ = dataset[3]
    np.testing.assert_allclose(image, _pixels(1).transpose(2, 0, 1) / 255, rtol=1e-6)
    images, labels = next(iter(DataLoader(dataset, batch_size=4)))
    assert images.shape == (4, 3, 5, 4) and labels.tolist() == [0, 0, 1, 1]


def test_a_folder_without_class_folders_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="holds no class folders"):
        ImageFolder(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="is not a folder"):
        ImageFolder(tmp_path / "missing")


def test_a_class_folder_without_images_is_named(folder):
    (folder / "birds").mkdir()
    (folder / "birds" / "readme.md").write_text("none yet")
    with pytest.raises(DatasetNotFoundError, match="no image files .* class folders birds of"):
        ImageFolder(folder)


def test_a_file_that_is_no_image_names_itself(folder):
    broken = folder / "dogs" / "c.png"
    broken.write_bytes(b"\x89PNG broken")
    dataset = ImageFolder(folder)
    with pytest.raises(ImageFormatError, match="c.png: not a readable image") as error:
        dataset[4]
    assert isinstance(error.value, ChainruleError)


def test_to_arrays_decodes_every_image_and_refuses_mixed_sizes(tmp_path):
    root = tmp_path / "same"
    _save(root / "a" / "1.png", _pixels(5))
    _save(root / "b" / "2.png", _pixels(6))
    images, labels = ImageFolder(root).to_arrays()
    assert images.dtype == np.uint8 and images.shape == (2, 5, 4, 3)
    np.testing.assert_array_equal(images[1], _pixels(6))
    np.testing.assert_array_equal(labels, [0, 1])
    _save(root / "b" / "3.png", _pixels(7, size=(6, 4)))
    with pytest.raises(ImageFormatError, match=r"3.png is 4×6 pixels but .*1.png is 4×5 pixels"):
        ImageFolder(root).to_arrays()
