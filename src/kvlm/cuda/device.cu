// The GPU itself; see device.hpp.
#include "kvlm/cuda/device.hpp"

#include <cuda_runtime.h>

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kvlm/error.hpp"

namespace kvlm::cuda {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw Error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
}

// Device memory that a DeviceArray gives back is kept for the next array of its size class, because
// cudaFree waits for the whole GPU to finish: a forward pass that freed its scratch would stop the
// CPU from queueing the next kernels while the GPU works. Reusing a block at once is safe because
// every op runs on the default stream, in order. Sizes are rounded up to a power of two so that a
// growing KV cache's attention scratch reuses a few classes, not one per position; blocks above
// kLargest (weights) are freed as before.
class Pool {
 public:
  static constexpr size_t kLargest = size_t{64} << 20;
  static size_t size_class(size_t bytes) {
    size_t c = 256;
    while (c < bytes) c *= 2;
    return c;
  }
  void* get(size_t bytes) {
    if (bytes > kLargest) return allocate(bytes);
    {
      std::lock_guard lock(mutex_);
      std::vector<void*>& kept = free_[size_class(bytes)];
      if (!kept.empty()) {
        void* p = kept.back();
        kept.pop_back();
        return p;
      }
    }
    return allocate(size_class(bytes));
  }
  void put(void* p, size_t bytes) {
    if (bytes > kLargest) {
      cudaFree(p);
      return;
    }
    std::lock_guard lock(mutex_);
    free_[size_class(bytes)].push_back(p);
  }

 private:
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes), "cudaMalloc");
    return p;
  }
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> kept blocks (never freed)
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: the CUDA runtime may be gone at exit
  return *p;
}

}  // namespace

bool device_present(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  std::string reason;
  if (status == cudaErrorNoDevice || (status == cudaSuccess && count == 0)) {
    reason = "no CUDA device is present";
  } else if (status == cudaErrorInsufficientDriver) {
    reason = "no NVIDIA driver is installed, or it is older than this CUDA runtime";
  } else if (status != cudaSuccess) {
    reason = std::string("CUDA could not list its devices: ") + cudaGetErrorString(status);
  }
  if (status != cudaSuccess) cudaGetLastError();  // clear it, so that it is not reported later
  if (why) *why = reason;
  return reason.empty();
}

MemoryInfo memory_info() {
  MemoryInfo m;
  check(cudaMemGetInfo(&m.free, &m.total), "cudaMemGetInfo");
  return m;
}

void check_last_error(const char* what) { check(cudaGetLastError(), what); }

void copy_on_device(float* to, const float* from, size_t n) {
  if (n) check(cudaMemcpy(to, from, n * sizeof(float), cudaMemcpyDeviceToDevice), "cudaMemcpy on the device");
}

template <typename T>
DeviceArray<T>::DeviceArray(size_t n) : size_(n) {
  if (n) data_ = static_cast<T*>(pool().get(n * sizeof(T)));
}

template <typename T>
DeviceArray<T>::DeviceArray(const T* host, size_t n) : DeviceArray(n) {
  upload(host, n);
}

template <typename T>
DeviceArray<T>::~DeviceArray() {
  if (data_) pool().put(data_, size_ * sizeof(T));
}

template <typename T>
DeviceArray<T>::DeviceArray(DeviceArray&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

template <typename T>
DeviceArray<T>& DeviceArray<T>::operator=(DeviceArray&& other) noexcept {
  if (this != &other) {
    if (data_) pool().put(data_, size_ * sizeof(T));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

template <typename T>
void DeviceArray<T>::upload(const T* host, size_t n) {
  if (n > size_) throw Error("CUDA: an upload of " + std::to_string(n) + " values into an array of " +
                             std::to_string(size_));
  if (n) check(cudaMemcpy(data_, host, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy to the device");
}

template <typename T>
void DeviceArray<T>::download(T* host, size_t n) const {
  if (n > size_) throw Error("CUDA: a download of " + std::to_string(n) + " values from an array of " +
                             std::to_string(size_));
  if (n) check(cudaMemcpy(host, data_, n * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy to the host");
}

template <typename T>
std::vector<T> DeviceArray<T>::to_host() const {
  std::vector<T> host(size_);
  download(host.data(), size_);
  return host;
}

template class DeviceArray<float>;
template class DeviceArray<int>;

}  // namespace kvlm::cuda
