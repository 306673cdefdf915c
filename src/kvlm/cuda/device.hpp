// The GPU itself (chapter 07): is one there, device memory that frees itself, and CUDA's errors
// turned into kvlm::Error sentences. Plain C++ (no CUDA headers): the CLI and the tests include it.
// Not a stream manager: every op runs on the default stream, in order (which is also what lets
// DeviceArray reuse given-back memory at once).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kvlm::cuda {

// Whether a usable CUDA device is present. When not, `why` (if given) says why in one sentence
// ("no CUDA device is present", "no NVIDIA driver is installed, or ...", ...).
bool device_present(std::string* why = nullptr);

// Free and total memory of the current device, in bytes.
struct MemoryInfo {
  size_t free = 0, total = 0;
};
MemoryInfo memory_info();

// Throws kvlm::Error("CUDA: <what> failed: <CUDA's message>") when the last CUDA call or kernel
// launch failed. Every op calls it after its launch.
void check_last_error(const char* what);

// Copies n floats from device memory to device memory (a KV cache's rows).
void copy_on_device(float* to, const float* from, size_t n);

// Device memory for n values of T (float or int), given back when it goes out of scope. Moves, no
// copies. Blocks up to 64 MiB are kept for reuse rather than freed (cudaFree waits for the GPU;
// device.cu says why): the next array of the same size class gets one without a cudaMalloc.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n);
  DeviceArray(const T* host, size_t n);  // allocates and uploads
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.data(), host.size()) {}
  ~DeviceArray();
  DeviceArray(DeviceArray&& other) noexcept;
  DeviceArray& operator=(DeviceArray&& other) noexcept;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  void upload(const T* host, size_t n);       // host -> device, n <= size()
  void download(T* host, size_t n) const;     // device -> host, n <= size(); waits for the GPU
  std::vector<T> to_host() const;

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

extern template class DeviceArray<float>;
extern template class DeviceArray<int>;

}  // namespace kvlm::cuda
