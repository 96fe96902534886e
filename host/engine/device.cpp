// Devices: which ones this libtorch can train on, and the matmul ceiling of each dtype there.
#include <chrono>

#include "engine.h"
#include "llama_network.h"

namespace longalign::engine {

bool device_available(const std::string& device, std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  torch::Device d(torch::kCPU);
  try {
    d = torch::Device(device);
  } catch (const c10::Error&) {
    return fail("'" + device + "' is not a device (cpu, cuda or cuda:N)");
  }
  if (d.is_cpu()) return true;
  if (!d.is_cuda()) return fail("the engine trains on cpu or cuda, not '" + device + "'");
  if (!torch::cuda::is_available())
    return fail("this libtorch has no CUDA, or no GPU is visible (the CUDA build: README's \"Scaling out\")");
  if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
    return fail("'" + device + "': only " + std::to_string(torch::cuda::device_count()) + " GPU(s) are visible");
  return true;
}

bool built_with_cuda() { return LONGALIGN_ENGINE_CUDA; }

double matmul_flops_per_second(DType dtype, const std::string& device, int64_t n) {
  const auto type = dtype == DType::F32 ? torch::kFloat : dtype == DType::BF16 ? torch::kBFloat16 : torch::kHalf;
  auto options = torch::TensorOptions().dtype(type).device(torch::Device(device));
  auto a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
  // Reading one element back waits for the device, so the timer brackets finished work.
  auto wait = [](const torch::Tensor& t) { t.flatten()[0].item<float>(); };
  wait(torch::matmul(a, b));
  const auto t0 = std::chrono::steady_clock::now();
  int reps = 0;
  double seconds = 0;
  torch::Tensor c;
  do {  // at least five products, and at least a quarter of a second
    for (int i = 0; i < 5; ++i, ++reps) c = torch::matmul(a, b);
    wait(c);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (seconds < 0.25);
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) * reps / seconds;
}

}  // namespace longalign::engine
