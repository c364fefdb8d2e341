import os
import sys

import torch

# Tests import the training modules as top-level names, as the scripts do.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
torch.set_num_threads(1)  # tiny tensors: threads only add synchronisation
