-- ARGV[4] owner
local expired = {}
local released = owned(ARGV[4], expired)
for _, lock in ipairs(released) do drop(lock) end
return cjson.encode({released = released, expired = expired})
