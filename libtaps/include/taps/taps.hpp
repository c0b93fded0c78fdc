// The whole public API of libtaps.
#pragma once

#include "taps/capacity_profile.hpp"
#include "taps/config.hpp"
#include "taps/connection.hpp"
#include "taps/context.hpp"
#include "taps/endpoint.hpp"
#include "taps/error.hpp"
#include "taps/fd_watch.hpp"
#include "taps/framer.hpp"
#include "taps/listener.hpp"
#include "taps/message.hpp"
#include "taps/preconnection.hpp"
#include "taps/properties.hpp"
#include "taps/security.hpp"
#include "taps/signal_watch.hpp"
#include "taps/timer.hpp"
#include "taps/version.hpp"
