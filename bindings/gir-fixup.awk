# gir-fixup.awk: make Mailsync-1.0.gir from what g-ir-scanner wrote
# (libmailsync/Makefile.am runs it).  Two things the scanner cannot write,
# and nothing else:
#
# 1. Four virtual methods (and the class structure fields that hold
#    them) take the ownership transfer "full" where their invokers say
#    "container":
#
#      Folder.list_messages_finish      return value  (GPtrArray of MessageInfo)
#      Folder.fetch_message_ids_finish  return value  (GHashTable of strings)
#      Repository.list_folders_finish   return value  (GPtrArray of Folder)
#      StatusStore.load                 records, meta (GPtrArray, GHashTable)
#
# 2. The element type of every GPtrArray of this namespace's types gets
#    its C type, a pointer (c:type="MailsyncStatusRecord*").
#
# Why the two directions of 1 differ.  The arrays the library hands out own
# their elements: a free function (GHashTable: destroy functions) drops
# one reference per element when the container is freed.  A caller that
# gets one frees the container once, and that is (transfer container):
# with (transfer full), PyGObject and GJS take each element's reference
# themselves and then free the container, whose free function drops the
# same references again (use-after-free; StatusStore.load had it).
#
# A backend written in Python or JavaScript goes the other way: the
# binding builds the container from a list and has no free function to
# give it.  With (transfer container) the elements are only borrowed from
# the binding's wrappers, which die as soon as the vfunc returns: the
# sync engine then read freed MessageInfos (and deleted a local message
# it no longer saw on the remote side).  With (transfer full) the binding
# gives the caller a reference to each element; the invokers
# (mailsync_folder_list_messages_finish, the repository's list_folders
# callback, mailsync_status_store_load) then give the container the free
# function it may lack, so that their own callers get the same
# self-owning container whatever language the backend is written in.
#
# g-ir-scanner cannot say this: it copies the invoker's annotations onto
# the virtual method it pairs with it (and onto the class structure's
# field), overriding a "Class::vfunc:" doc block.  PyGObject builds a
# Python vfunc's closure from the field's callback type, GJS from the
# virtual method: both change.  Every change must apply exactly once: a
# renamed vfunc or parameter, or a scanner that already writes "full",
# fails the build here rather than silently shipping the bug again.
#
# Why 2.  An element type written without a C type is not a pointer in the
# typelib, and GJS then copies the structures of a JavaScript array by
# value into the GPtrArray it builds (a JavaScript StatusStore.load gave
# the engine 0x1 for a record).  A GPtrArray only ever holds pointers; the
# scanner drops the C type of annotation types (element-type), so it is
# put back here.

BEGIN {
  # Type/member/item: the virtual method, and the class structure's field
  # that holds it.
  want["Folder/list_messages_finish/return"] = 1
  want["FolderClass/list_messages_finish/return"] = 1
  want["Folder/fetch_message_ids_finish/return"] = 1
  want["FolderClass/fetch_message_ids_finish/return"] = 1
  want["Repository/list_folders_finish/return"] = 1
  want["RepositoryClass/list_folders_finish/return"] = 1
  want["StatusStore/load/records"] = 1
  want["StatusStore/load/meta"] = 1
  want["StatusStoreInterface/load/records"] = 1
  want["StatusStoreInterface/load/meta"] = 1
}

# The namespace's C prefix (an attribute of <namespace>, on a line of its own).
/c:identifier-prefixes="/ && prefix == "" {
  prefix = $0
  sub(/^.*c:identifier-prefixes="/, "", prefix)
  sub(/[",].*/, "", prefix)
}

# The type (<class>, <interface>, <record>) and the member (a virtual
# method, or a field of a class structure) we are in.
/^ *<(class|interface|record) name="/ {
  type = $0
  sub(/^[^"]*"/, "", type)
  sub(/".*/, "", type)
}
/<(virtual-method|field) name="/ {
  member = $0
  sub(/^.*<(virtual-method|field) name="/, "", member)
  sub(/".*/, "", member)
  item = ""
}
/<\/(virtual-method|field)>/ { member = "" }

# The item whose attributes follow: the return value or a parameter (a
# tag may span several lines; the attribute is in the tag, before ">").
member != "" && /<return-value/ { item = "return"; intag = 1 }
member != "" && /<parameter name="/ {
  item = $0
  sub(/^.*<parameter name="/, "", item)
  sub(/".*/, "", item)
  intag = 1
}

{
  key = type "/" member "/" item
  if (intag && member != "" && (key in want) && /transfer-ownership="container"/) {
    sub(/transfer-ownership="container"/, "transfer-ownership=\"full\"")
    done[key]++
  }
  if (intag && />/)
    intag = 0
}

# 2: the first <type> inside a GPtrArray is its element type.  Inside an
# out parameter g-ir-compiler takes one '*' off the C type (the one the
# out parameter adds), element types included: there it needs two.
/<parameter[ >]/ { outparam = 0 }
/direction="out"/ { outparam = 1 }
/<\/parameter>/ { outparam = 0 }
ptrarray && /<type name="[^".]*"/ && !/c:type=/ && prefix != "" {
  elem = $0
  sub(/^.*<type name="/, "", elem)
  sub(/".*/, "", elem)
  sub(/<type name="[^"]*"/, "& c:type=\"" prefix elem (outparam ? "**" : "*") "\"")
  pointers[elem]++
}
ptrarray && /<type / { ptrarray = 0 }
/<array name="GLib.PtrArray"/ { ptrarray = 1 }

{ print }

END {
  for (k in want)
    if (done[k] != 1) {
      printf "gir-fixup.awk: %s: expected one transfer-ownership=\"container\" to change, changed %d\n", k, done[k] + 0 > "/dev/stderr"
      failed = 1
    }
  if (!pointers["StatusRecord"]) {
    print "gir-fixup.awk: no GPtrArray of StatusRecord got its C type (no namespace prefix?)" > "/dev/stderr"
    failed = 1
  }
  exit failed
}
