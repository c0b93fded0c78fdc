// Must not compile: a transport knows the TransportSink, never the Connection.
#include "core/connection_impl.hpp"
