// The engine's precompiled header: torch is parsed once per build, not once per file.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
