/* list.h: intrusive doubly linked circular lists. */
#pragma once

#include <amphi/types.h>

struct list_node {
	struct list_node *prev, *next;
};

#define LIST_INIT(name)          \
	{                        \
		&(name), &(name) \
	}
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define list_entry(node, type, member) container_of(node, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* Makes head an empty list. */
static inline void list_init(struct list_node *head)
{
	head->prev = head->next = head;
}

/* True when head has no entries. */
static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* Inserts n between prev and next. */
static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Appends n at the tail of head. */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_between(n, head->prev, head);
}

/* Inserts n right before pos (pos may be the head: then at the tail). */
static inline void list_add_before(struct list_node *pos, struct list_node *n)
{
	list_insert_between(n, pos->prev, pos);
}

/* Unlinks n and leaves it pointing at itself. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* First entry's node, or NULL when empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
	return list_empty(head) ? NULL : head->next;
}
