module airlock.test/probe

go 1.26
