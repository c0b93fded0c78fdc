#include "taps/listener.hpp"

#include "core/listener_impl.hpp"

namespace taps {

void Listener::stop() {
  if (impl_) impl_->stop();
}

void Listener::set_new_connection_limit(std::size_t n) {
  if (impl_) impl_->set_new_connection_limit(n);
}

}  // namespace taps
