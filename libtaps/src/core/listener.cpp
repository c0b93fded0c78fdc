#include "taps/listener.hpp"

#include "core/listener_impl.hpp"
#include "core/multicast_listener.hpp"

namespace taps {

void Listener::stop() {
  if (impl_) impl_->stop();
  if (multicast_) multicast_->stop();
}

void Listener::set_new_connection_limit(std::size_t n) {
  if (impl_) impl_->set_new_connection_limit(n);
  if (multicast_) multicast_->set_new_connection_limit(n);
}

}  // namespace taps
