module airlock.invalid/file-helper

go 1.26
