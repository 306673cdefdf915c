// The GPU itself; see device.hpp.
#include "kvlm/cuda/device.hpp"

#include <cuda_runtime.h>

#include <utility>

#include "kvlm/error.hpp"

namespace kvlm::cuda {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw Error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
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
  if (n) check(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)), "cudaMalloc");
}

template <typename T>
DeviceArray<T>::DeviceArray(const T* host, size_t n) : DeviceArray(n) {
  upload(host, n);
}

template <typename T>
DeviceArray<T>::~DeviceArray() {
  if (data_) cudaFree(data_);
}

template <typename T>
DeviceArray<T>::DeviceArray(DeviceArray&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

template <typename T>
DeviceArray<T>& DeviceArray<T>::operator=(DeviceArray&& other) noexcept {
  if (this != &other) {
    if (data_) cudaFree(data_);
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
