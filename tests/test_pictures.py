"""Display helpers: tiling in make_grid's layout, crisp upscaling, and the manifold picture's click geometry."""
import numpy as np
import pytest
import torch
from torchvision.utils import make_grid

from vae.limits import LATENT_SLIDER_RANGE, MANIFOLD_STEPS, MAX_UPSCALE_FACTOR
from vae.pictures import GRID_CELL, GRID_PADDING, manifold_axes, manifold_point, tile, tiled_shape, upscale
from vae.validation import InputError


def cell(grid: np.ndarray, row: int, column: int) -> np.ndarray:
    """The 28×28 tile at (row, column) of a padded grid picture."""
    top, left = GRID_PADDING + row * GRID_CELL, GRID_PADDING + column * GRID_CELL
    return grid[top:top + 28, left:left + 28]


@pytest.mark.parametrize("count, columns", [(1, 5), (7, 3), (6, 3), (3, 8), (200, 20)])
def test_tile_has_the_layout_of_torchvisions_make_grid(count, columns):
    images = np.random.default_rng(count).random((count, 28, 28), dtype=np.float32)
    expected = make_grid(torch.from_numpy(images)[:, None], nrow=columns, padding=2, pad_value=1.0)[0].numpy()
    if count == 1:  # make_grid leaves a lone image unframed; tile frames it like every other tile
        expected = np.pad(expected, 2, constant_values=1.0)
    np.testing.assert_array_equal(tile(images, columns), expected)
    assert tiled_shape(-(-count // columns), min(columns, count)) == expected.shape


def test_tile_places_images_row_by_row_and_leaves_empty_cells_white():
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    grid = tile(images, 3)
    assert grid.shape == (GRID_PADDING + 2 * GRID_CELL, GRID_PADDING + 3 * GRID_CELL)
    for index, image in enumerate(images):
        assert np.array_equal(cell(grid, *divmod(index, 3)), image)
    assert (cell(grid, 1, 2) == 1).all()
    with pytest.raises(InputError):
        tile(images[:0], 3)


def test_upscale_makes_crisp_uint8_blocks():
    image = np.array([[0.0, 1.0], [0.5, 0.25]], dtype=np.float32)
    big = upscale(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert (big[:3, :3] == 0).all() and (big[:3, 3:] == 255).all() and (big[3:, :3] == 128).all()
    for bad in (0, MAX_UPSCALE_FACTOR + 1):
        with pytest.raises(InputError, match="factor"):
            upscale(image, bad)


@pytest.mark.parametrize("factor", [1, 2, 3])
def test_a_click_on_a_manifold_tile_gives_that_tiles_latent(factor):
    z1_values, z2_values = manifold_axes(LATENT_SLIDER_RANGE, MANIFOLD_STEPS)
    shape = tuple(factor * side for side in tiled_shape(MANIFOLD_STEPS, MANIFOLD_STEPS))
    for row, column in [(0, 0), (3, 11), (MANIFOLD_STEPS - 1, MANIFOLD_STEPS - 1)]:
        for dy, dx in [(0, 0), (27, 27), (14, 3)]:  # corners and middle of the tile
            y, x = (GRID_PADDING + row * GRID_CELL + dy) * factor, (GRID_PADDING + column * GRID_CELL + dx) * factor
            z = manifold_point(x, y, shape, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)
            assert z.tolist() == [z1_values[column], z2_values[row]]
    with pytest.raises(InputError, match="x must be between"):
        manifold_point(shape[1], 0, shape, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)


def test_manifold_axes_run_left_to_right_and_top_down():
    z1, z2 = manifold_axes(2.0, 5)
    assert z1.tolist() == [-2, -1, 0, 1, 2] and z2.tolist() == [2, 1, 0, -1, -2]
