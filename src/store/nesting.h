// Where a store may go: dla_store ingest refuses a ROOT and an input DIR that nest. A ROOT inside
// DIR puts the store's own files among the input (a later ingest, --recursive or a wide --pattern,
// would store the store); a DIR inside ROOT, or a DIR that is or lies inside any dla store (a
// directory holding the .dla-store marker), would store a store's block files as logs.
// Paths are compared resolved (links, ".", ".."): a ROOT that does not exist yet is resolved through
// its nearest existing ancestor. Every file call goes through the Env.
#pragma once
#include <string>

#include "base/env.h"
#include "base/status.h"

namespace dla {

// OkStatus, or kInvalid with one line naming both paths. DIR must exist (else its error).
Status check_store_nesting(Env& env, const std::string& root, const std::string& dir);

// `path` resolved although its last components may not exist yet (their names appended as given).
Result<std::string> resolve_maybe_missing(Env& env, const std::string& path);

}  // namespace dla
