"""The decks' worked convolution and pooling examples, with the numbers printed on the slides.

Not checked: deck D4's "blurring convolution" slide (kernel .1/.2 on the 7×7 image). Its
printed result disagrees with the cross-correlation of that kernel and image in four entries
(row 2 reads .4 .2 .3 where the sums are .5 .6 .5, and row 3 has .4 for .5), and no flip or
padding convention reproduces it, so the slide itself is taken to be wrong there.
"""

import numpy as np

import chainrule as cr
import chainrule.functional as F


def _image(rows):
    """A single-image, single-channel float64 tensor (1, 1, H, W)."""
    return cr.tensor(np.array(rows, dtype=np.float64)[None, None])


def _map(t):
    """The first map of the first image as a NumPy array."""
    return t.data[0, 0]


# Deck D1 ("1.2.2 Convolution layer", Figures 2-12 to 2-14) and deck D2 ("Convolution"): the 5×5
# binary image and 3×3 kernel.
DECK_001_IMAGE = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
]
DECK_001_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]

# Deck D4 ("Background: Image Processing"): the 7×7 image (a 5×5 image with a zero border).
DECK_004_IMAGE = [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 1, 1, 1, 1, 0],
    [0, 1, 0, 0, 1, 0, 0],
    [0, 1, 0, 1, 0, 0, 0],
    [0, 1, 1, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
]
DECK_004_CONVOLVED = [
    [3, 2, 2, 3, 1],
    [2, 0, 2, 1, 0],
    [2, 2, 1, 0, 0],
    [3, 1, 0, 0, 0],
    [1, 0, 0, 0, 0],
]

# Deck D4 ("Downsampling"): the 6×6 image of the stride-2 examples.
DECK_004_DOWNSAMPLING_IMAGE = [
    [1, 1, 1, 1, 1, 0],
    [1, 0, 0, 1, 0, 0],
    [1, 0, 1, 0, 0, 0],
    [1, 1, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
]


def test_deck_001_convolved_feature():
    """The slide shows the first entry, 4; the whole 3×3 feature is the known answer of this
    (UFLDL) example."""
    out = F.conv2d(_image(DECK_001_IMAGE), _image(DECK_001_KERNEL))
    np.testing.assert_array_equal(_map(out), [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_deck_004_convolved_image():
    """The slide's kernel is [[0,0,0],[0,1,1],[0,1,0]], applied unflipped (cross-correlation).
    Some animation frames print the image patch under the kernel ([[1,1,1],[1,0,0],[1,0,1]])
    in the kernel's place; with that matrix, flipped or not, the result is not the slide's."""
    kernel = _image([[0, 0, 0], [0, 1, 1], [0, 1, 0]])
    out = F.conv2d(_image(DECK_004_IMAGE), kernel)
    np.testing.assert_array_equal(_map(out), DECK_004_CONVOLVED)


def test_deck_004_zero_border_is_padding_1():
    """The 7×7 image is the inner 5×5 image with a zero border: padding=1 gives the same result."""
    inner = [row[1:6] for row in DECK_004_IMAGE[1:6]]
    kernel = _image([[0, 0, 0], [0, 1, 1], [0, 1, 0]])
    out = F.conv2d(_image(inner), kernel, padding=1)
    np.testing.assert_array_equal(_map(out), DECK_004_CONVOLVED)


def test_deck_004_identity_convolution():
    """The identity kernel returns the image under the kernel centres: the inner 5×5 image."""
    identity = _image([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    out = F.conv2d(_image(DECK_004_IMAGE), identity)
    np.testing.assert_array_equal(
        _map(out),
        [[1, 1, 1, 1, 1], [1, 0, 0, 1, 0], [1, 0, 1, 0, 0], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]],
    )


def test_deck_004_stride_2_convolution():
    """ "Only 9 patches visited in input, so only 9 pixels in output"."""
    out = F.conv2d(_image(DECK_004_DOWNSAMPLING_IMAGE), _image(np.ones((2, 2))), stride=2)
    np.testing.assert_array_equal(_map(out), [[3, 3, 1], [3, 1, 0], [1, 0, 0]])


def test_deck_004_downsampling_by_averaging():
    """Averaging is the stride-2 convolution with weights 1/4, and is 2×2 average pooling."""
    expected = np.array([[3, 3, 1], [3, 1, 0], [1, 0, 0]]) / 4
    image = _image(DECK_004_DOWNSAMPLING_IMAGE)
    by_convolution = F.conv2d(image, _image(np.full((2, 2), 0.25)), stride=2)
    np.testing.assert_allclose(_map(by_convolution), expected, rtol=1e-15)
    np.testing.assert_allclose(_map(F.avg_pool2d(image, 2)), expected, rtol=1e-15)


def test_deck_004_max_pooling():
    out = F.max_pool2d(_image(DECK_004_DOWNSAMPLING_IMAGE), 2, stride=2)
    np.testing.assert_array_equal(_map(out), [[1, 1, 1], [1, 1, 0], [1, 0, 0]])


def test_deck_002_conv_output_size():
    """W₂ = (W₁ − F + 2P)/S + 1 for a few (W₁, F, P, S), on the height and the width."""
    for size, kernel, padding, stride in [
        (32, 5, 0, 1),
        (28, 5, 2, 1),
        (227, 11, 0, 4),
        (7, 3, 1, 2),
        (6, 2, 0, 2),
    ]:
        x = cr.zeros(1, 1, size, size + 2)
        w = cr.zeros(1, 1, kernel, kernel)
        out = F.conv2d(x, w, stride=stride, padding=padding)
        expected = (
            (size - kernel + 2 * padding) // stride + 1,
            (size + 2 - kernel + 2 * padding) // stride + 1,
        )
        assert out.shape[2:] == expected


def test_deck_002_zero_padding():
    """The "Padding" slide's 4×4 image inside a one-pixel zero border, as conv2d sees it: a 1×1
    kernel of weight 1 with padding 1 returns the padded image."""
    image = [[32, 26, 17, 34], [2, 78, 45, 23], [4, 67, 90, 12], [68, 32, 57, 25]]
    out = F.conv2d(_image(image), _image([[1]]), padding=1)
    np.testing.assert_array_equal(
        _map(out),
        [
            [0, 0, 0, 0, 0, 0],
            [0, 32, 26, 17, 34, 0],
            [0, 2, 78, 45, 23, 0],
            [0, 4, 67, 90, 12, 0],
            [0, 68, 32, 57, 25, 0],
            [0, 0, 0, 0, 0, 0],
        ],
    )


DECK_003_DELTA = [[1, 3], [2, 4]]


def _pool_backward(pool, x, delta):
    x = cr.tensor(np.asarray(x, dtype=np.float64)[None, None], requires_grad=True)
    out = pool(x)
    out.backward(np.asarray(delta, dtype=np.float64)[None, None])
    return x.grad.data[0, 0]


def test_deck_003_mean_pooling_upsamples_delta():
    """δ through 2×2 mean pooling: up(δ) = δ ⊗ 1₂ₓ₂ / 4, the slide's 4×4 map."""
    grad = _pool_backward(lambda x: F.avg_pool2d(x, 2), np.zeros((4, 4)), DECK_003_DELTA)
    np.testing.assert_array_equal(
        grad,
        [[0.25, 0.25, 0.75, 0.75], [0.25, 0.25, 0.75, 0.75], [0.5, 0.5, 1, 1], [0.5, 0.5, 1, 1]],
    )


def test_deck_003_max_pooling_routes_delta_to_argmax():
    """δ through 2×2 max pooling goes to each window's maximum; the input puts the maxima where
    the slide's routed map has its non-zeros."""
    x = np.arange(16.0).reshape(4, 4) / 100
    for row, col in [(1, 1), (0, 3), (3, 1), (3, 3)]:
        x[row, col] = 1.0
    grad = _pool_backward(lambda t: F.max_pool2d(t, 2), x, DECK_003_DELTA)
    np.testing.assert_array_equal(grad, [[0, 0, 0, 3], [0, 1, 0, 0], [0, 0, 0, 0], [0, 2, 0, 4]])


def test_deck_003_delta_through_convolution_is_full_convolution():
    """Deck D3 ("情况二：当前层之后为卷积层"): two output maps of a 2×2-kernel convolution over
    one 3×3 map send back δ₁ = [[1,3],[2,2]] and δ₂ = [[2,1],[1,1]]; each flows back as the
    full convolution of δ with its kernel ([[0.1,0.2],[0.2,0.4]] and [[-0.3,0.1],[0.1,0.2]]),
    and the input map's δ is their sum."""
    x = cr.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    kernels = cr.tensor(np.array([[[[0.1, 0.2], [0.2, 0.4]]], [[[-0.3, 0.1], [0.1, 0.2]]]]))
    out = F.conv2d(x, kernels)
    out.backward(np.array([[[[1, 3], [2, 2]], [[2, 1], [1, 1]]]], dtype=np.float64))
    np.testing.assert_allclose(
        x.grad.data[0, 0], [[-0.5, 0.4, 0.7], [0.3, 1.9, 1.9], [0.5, 1.5, 1.0]], atol=1e-12
    )
    first_map_only = cr.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)
    F.conv2d(first_map_only, kernels[0:1]).backward(np.array([[[[1, 3], [2, 2]]]], dtype=float))
    np.testing.assert_allclose(
        first_map_only.grad.data[0, 0],
        [[0.1, 0.5, 0.6], [0.4, 1.6, 1.6], [0.4, 1.2, 0.8]],
        atol=1e-12,
    )
