// Must not compile: a QUIC stream reports through the TransportSink, never to the Connection.
#include "core/connection_impl.hpp"
