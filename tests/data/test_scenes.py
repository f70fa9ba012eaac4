"""Detection scenes: deterministic in the seed, boxes inside the canvas and tight around each
digit's ink, COCO JSON that reads back, train scenes from training digits."""

import json

import numpy as np

from chainrule.data.scenes import make_scenes, place_digits, save_scenes, scene_set


def test_same_seed_same_scenes_other_seed_other_scenes(mnist_test):
    first = make_scenes(mnist_test.data, mnist_test.targets, 20, seed=7)
    again = make_scenes(mnist_test.data, mnist_test.targets, 20, seed=7)
    other = make_scenes(mnist_test.data, mnist_test.targets, 20, seed=8)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.labels, b.labels)
    assert any(not np.array_equal(a.image, c.image) for a, c in zip(first, other))


def test_one_to_five_digits_with_boxes_inside_the_canvas(mnist_test):
    scenes = make_scenes(mnist_test.data, mnist_test.targets, 100, seed=0, canvas=112)
    counts = [len(scene.labels) for scene in scenes]
    assert min(counts) == 1 and max(counts) == 5
    for scene in scenes:
        assert scene.image.shape == (112, 112) and scene.image.dtype == np.uint8
        x, y, w, h = scene.boxes.T
        assert np.all((x >= 0) & (y >= 0) & (w > 0) & (h > 0))
        assert np.all((x + w <= 112) & (y + h <= 112))


def test_boxes_are_tight_around_the_ink(mnist_test):
    """All ink lies in some box, and each box's four edges touch ink."""
    for scene in make_scenes(mnist_test.data, mnist_test.targets, 50, seed=1):
        covered = np.zeros(scene.image.shape, dtype=bool)
        for x, y, w, h in scene.boxes.astype(int):
            inside = scene.image[y : y + h, x : x + w] > 0
            covered[y : y + h, x : x + w] = True
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()
        assert not np.any((scene.image > 0) & ~covered)


def test_place_digits_keeps_the_labels_of_the_digits_placed():
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[4:24, 10:18] = 255
    scene = place_digits(np.stack([digit] * 3), [3, 1, 4], np.random.default_rng(0), canvas=112)
    np.testing.assert_array_equal(scene.labels, [3, 1, 4])
    # a 20×8 stroke scaled to side s is about (20·s/28) tall
    assert np.all(scene.boxes[:, 3] > scene.boxes[:, 2])


def test_coco_json_reads_back(tmp_path, mnist_test):
    scenes = make_scenes(mnist_test.data, mnist_test.targets, 6, seed=2)
    save_scenes(tmp_path, "test", scenes)
    coco = json.loads((tmp_path / "test.json").read_text())
    assert [c["id"] for c in coco["categories"]] == list(range(10))
    assert [image["id"] for image in coco["images"]] == list(range(6))
    assert len(coco["annotations"]) == sum(len(s.labels) for s in scenes)
    first = [a for a in coco["annotations"] if a["image_id"] == 0]
    np.testing.assert_array_equal([a["bbox"] for a in first], scenes[0].boxes)
    np.testing.assert_array_equal([a["category_id"] for a in first], scenes[0].labels)
    assert np.load(tmp_path / "test.npy").shape == (6, 112, 112)


def test_scene_set_caches_and_draws_from_the_split(tmp_path, data_root, mnist_train):
    train = scene_set(tmp_path, True, 4, seed=0, data_dir=data_root)
    assert (tmp_path / "train.json").exists()
    expected = make_scenes(mnist_train.data, mnist_train.targets, 4, seed=0)
    np.testing.assert_array_equal(train[3].image, expected[3].image)
    cached = scene_set(tmp_path, True, 4, seed=0, data_dir=data_root)
    np.testing.assert_array_equal(cached[3].boxes, expected[3].boxes)
    other_seed = scene_set(tmp_path, True, 4, seed=1, data_dir=data_root)
    expected = make_scenes(mnist_train.data, mnist_train.targets, 4, seed=1)
    np.testing.assert_array_equal(other_seed[3].image, expected[3].image)
