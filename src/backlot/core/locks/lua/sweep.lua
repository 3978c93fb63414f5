-- ARGV[4] how many at most. Claims lapsed locks: each is returned by exactly one call.
local due = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
local expired = {}
for _, resource in ipairs(due) do
  local lock = load(resource)
  if not lock then
    redis.call('ZREM', deadlines, resource)
  elseif lock.e <= now then
    drop(lock)
    table.insert(expired, lock)
  end
end
return cjson.encode({expired = expired, remaining = redis.call('ZCARD', deadlines)})
