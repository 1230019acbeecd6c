// handles.cpp — see handles.hpp.
#include "handles.hpp"

#include <climits>

namespace mvsmtp::gci {

HandleTable& HandleTable::instance() {
    // Never destroyed: sessions may still be closing from other threads at process exit.
    static HandleTable* table = new HandleTable();
    return *table;
}

int HandleTable::add(std::shared_ptr<SessionHandle> handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int>(open_.size()) >= kMaxOpen || next_ == INT_MAX) return 0;
    const int id = next_++;
    open_.emplace(id, std::move(handle));
    return id;
}

std::shared_ptr<SessionHandle> HandleTable::find(int handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = open_.find(handle);
    return it == open_.end() ? nullptr : it->second;
}

std::shared_ptr<SessionHandle> HandleTable::remove(int handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = open_.find(handle);
    if (it == open_.end()) return nullptr;
    auto h = std::move(it->second);
    open_.erase(it);
    return h;
}

}  // namespace mvsmtp::gci
