-- sweep(nowMs, limit): expire due holds of one tenant; returns how many were looked at.
return expire_due(tonumber(ARGV[1]), tonumber(ARGV[2]))
