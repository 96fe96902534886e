// Data parallelism over c10d: a TCPStore rendezvous and a process group, Gloo on CPU (host
// memory) and NCCL on CUDA where the build has it. Compiled without the precompiled header: the
// c10d headers want USE_C10D_GLOO / USE_C10D_NCCL, which the rest of the engine does not set.
// LONGALIGN_WITH_GLOO / LONGALIGN_WITH_NCCL say which of their headers this build found (a pip
// torch defines USE_C10D_* whether or not it ships the headers).
#include "data_parallel.h"

#if defined(LONGALIGN_WITH_GLOO) || defined(LONGALIGN_WITH_NCCL)
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef LONGALIGN_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef LONGALIGN_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

namespace longalign::engine {
namespace {

// The variable's integer value; `fallback` when unset; throws when it is not an integer.
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > 1 << 20) throw std::invalid_argument(std::string(name) + "=" + v + " is not a valid integer");
  return static_cast<int>(x);
}

}  // namespace

DataParallelConfig data_parallel_from_environment() {
  DataParallelConfig c;
  if (std::getenv("WORLD_SIZE")) {
    c.world_size = env_int("WORLD_SIZE", 1);
    c.rank = env_int("RANK", -1);
    if (c.rank < 0) throw std::invalid_argument("WORLD_SIZE is set but RANK is not");
  } else if (std::getenv("SLURM_NTASKS")) {
    c.world_size = env_int("SLURM_NTASKS", 1);
    c.rank = env_int("SLURM_PROCID", 0);
  }
  if (c.world_size < 1 || c.rank >= c.world_size)
    throw std::invalid_argument("rank " + std::to_string(c.rank) + " does not fit world size " + std::to_string(c.world_size));
  if (c.world_size > 1) {
    const char* addr = std::getenv("MASTER_ADDR");
    if (!addr || !*addr) throw std::invalid_argument("MASTER_ADDR is not set (the rendezvous host, rank 0's address)");
    c.master_addr = addr;
    c.master_port = env_int("MASTER_PORT", -1);
    if (c.master_port <= 0 || c.master_port > 65535) throw std::invalid_argument("MASTER_PORT is not set to a port");
  }
  return c;
}

struct DataParallel::Impl::Group {
#if defined(LONGALIGN_WITH_GLOO) || defined(LONGALIGN_WITH_NCCL)
  c10::intrusive_ptr<::c10d::TCPStore> store;
#endif
#ifdef LONGALIGN_WITH_GLOO
  c10::intrusive_ptr<::c10d::ProcessGroupGloo> gloo;
#endif
#ifdef LONGALIGN_WITH_NCCL
  c10::intrusive_ptr<::c10d::ProcessGroupNCCL> nccl;
#endif
};

DataParallel::Impl::~Impl() = default;

void DataParallel::Impl::all_reduce_sum(torch::Tensor& t) {
  if (!group) return;
  ::c10d::AllreduceOptions o;
  o.reduceOp = ::c10d::ReduceOp::SUM;
#ifdef LONGALIGN_WITH_NCCL
  if (group->nccl) {
    std::vector<at::Tensor> tensors = {t};
    group->nccl->allreduce(tensors, o)->wait();
    return;
  }
#endif
#ifdef LONGALIGN_WITH_GLOO
  // Gloo reduces host memory: a device tensor goes through a host copy.
  std::vector<at::Tensor> tensors = {t.is_cpu() ? t : t.cpu()};
  group->gloo->allreduce(tensors, o)->wait();
  if (!t.is_cpu()) t.copy_(tensors[0]);
#endif
}

DataParallel::DataParallel(const DataParallelConfig& c) : impl_(std::make_unique<Impl>()) {
  if (c.world_size < 1 || c.rank < 0 || c.rank >= c.world_size)
    throw std::invalid_argument("rank " + std::to_string(c.rank) + " does not fit world size " + std::to_string(c.world_size));
  if (c.backend != "auto" && c.backend != "gloo" && c.backend != "nccl")
    throw std::invalid_argument("backend '" + c.backend + "': auto, gloo or nccl");
  impl_->rank = c.rank;
  impl_->world_size = c.world_size;
  if (c.world_size == 1 && !c.group_when_alone) return;
  const bool cuda = c.device.rfind("cuda", 0) == 0;
#ifndef LONGALIGN_WITH_NCCL
  if (cuda && c.backend == "nccl") throw std::invalid_argument("this engine was built without NCCL (its headers were not found)");
#endif
#ifndef LONGALIGN_WITH_GLOO
  if (!cuda || c.backend == "gloo")
    throw std::invalid_argument("this engine was built without c10d's Gloo headers: data parallelism on " + c.device + " is unavailable");
#endif
#if defined(LONGALIGN_WITH_GLOO) || defined(LONGALIGN_WITH_NCCL)
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(c.timeout_s * 1000));
  ::c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(c.master_port);
  so.isServer = c.rank == 0;
  so.numWorkers = c.world_size;
  so.waitWorkers = true;
  so.timeout = timeout;
  impl_->group = std::make_unique<Impl::Group>();
  impl_->group->store = c10::make_intrusive<::c10d::TCPStore>(c.master_addr, so);
#endif
#ifdef LONGALIGN_WITH_NCCL
  if (cuda && c.backend != "gloo") {
    auto options = ::c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    impl_->group->nccl = c10::make_intrusive<::c10d::ProcessGroupNCCL>(impl_->group->store, c.rank, c.world_size, options);
    return;
  }
#endif
#ifdef LONGALIGN_WITH_GLOO
  auto options = ::c10d::ProcessGroupGloo::Options::create();
  options->timeout = timeout;
  options->devices.push_back(::c10d::ProcessGroupGloo::createDeviceForHostname(c.master_addr == "localhost" ? "127.0.0.1" : c.master_addr));
  impl_->group->gloo = c10::make_intrusive<::c10d::ProcessGroupGloo>(impl_->group->store, c.rank, c.world_size, options);
#endif
  if (!impl_->group) throw std::invalid_argument("this engine was built with no c10d backend (Gloo or NCCL headers): one process only");
}

DataParallel::~DataParallel() = default;
int DataParallel::rank() const { return impl_->rank; }
int DataParallel::world_size() const { return impl_->world_size; }
bool DataParallel::reduces() const { return impl_->group != nullptr; }

}  // namespace longalign::engine
