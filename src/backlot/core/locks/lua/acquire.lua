-- ARGV[4] resource, [5] owner, [6] ttl ms, [7] max per owner (0: none), [8] switch, [9] info
local resource, owner, ttl = ARGV[4], ARGV[5], tonumber(ARGV[6])
local max_per_owner, switch, info = tonumber(ARGV[7]), ARGV[8] == '1', ARGV[9]
local expired, switched = {}, {}

local lapsed, current = claim_lapsed(resource)
if lapsed then table.insert(expired, lapsed) end
if current then
  if current.o ~= owner then
    return cjson.encode({granted = false, reason = 'held', holder = current, expired = expired})
  end
  current.e = now + ttl
  current.i = info
  put(current, ttl)
  return cjson.encode({granted = true, renewed = true, lock = current, expired = expired})
end

if max_per_owner > 0 then
  local held = owned(owner, expired)
  if #held >= max_per_owner then
    if not switch then
      return cjson.encode({granted = false, reason = 'owner_limit', holder = held[1],
                           expired = expired})
    end
    for index = 1, #held - max_per_owner + 1 do
      drop(held[index])
      table.insert(switched, held[index])
    end
  end
end

local lock = {r = resource, o = owner, t = next_token(),
              e = now + ttl, i = info}
-- `fresh`: the scope had no lock left, so the sweeper may be about to forget it: the
-- caller indexes it again (lock-scopes).
local fresh = redis.call('ZCARD', deadlines) == 0
put(lock, ttl)
return cjson.encode({granted = true, renewed = false, lock = lock, expired = expired,
                     switched = switched, fresh = fresh})
