"""The classroom loop: course folder, class list, assignment, distribution and collection of copies."""
