"""python-threatexchange's image pipeline (signal_type/pdq/pdq_hasher.py), the
reference hashwatch's PDQ hashes are compared with: Pillow decodes, the
array's first three channels go to `pdqhash.compute`."""
import numpy as np


def to_array(image):
    """The array python-threatexchange hands to pdqhash for a Pillow image."""
    if image.mode in ("LA", "I;16"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.concatenate([array[..., np.newaxis]] * 3, axis=2)
    return array
