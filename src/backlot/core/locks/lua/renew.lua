-- ARGV[4] owner, [5] ttl ms
local owner, ttl = ARGV[4], tonumber(ARGV[5])
local expired, renewed = {}, {}
for _, lock in ipairs(owned(owner, expired)) do
  lock.e = now + ttl
  put(lock, ttl)
  table.insert(renewed, lock)
end
return cjson.encode({renewed = renewed, expired = expired})
